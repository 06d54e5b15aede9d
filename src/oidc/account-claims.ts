import type { LabAccess } from '../domain/tenancy/lab-access.js';
import type { User } from '../domain/types.js';
import type { UserRepository } from '../domain/ports/user-repository.js';

/** Standard OIDC claims, grouped by the scope that releases them. */
export const scopeClaims = {
  openid: ['sub'],
  profile: ['preferred_username', 'name', 'given_name', 'family_name', 'updated_at'],
  email: ['email', 'email_verified'],
  labs: ['labs'],
} as const;

/** Reads an account for oidc-provider: only active users are found; blocked ones do not exist to it. */
export function createAccountClaims(deps: { users: UserRepository; labs: LabAccess }) {
  function profileClaims(user: User): Record<string, unknown> {
    const name = [user.givenName, user.familyName].filter(Boolean).join(' ');
    return {
      sub: user.id,
      preferred_username: user.username,
      name: name || undefined,
      given_name: user.givenName,
      family_name: user.familyName,
      updated_at: Math.floor(user.updatedAt.getTime() / 1000),
      email: user.email,
      email_verified: user.email ? user.emailVerified : undefined,
    };
  }

  return {
    async findActiveUser(id: string): Promise<User | undefined> {
      const user = await deps.users.findById(id);
      return user?.status === 'active' ? user : undefined;
    },
    async claimsFor(user: User, scope: Set<string>): Promise<Record<string, unknown>> {
      const claims = profileClaims(user);
      if (scope.has('labs')) claims.labs = await deps.labs.activeLabs(user.id);
      return claims;
    },
  };
}

export type AccountClaims = ReturnType<typeof createAccountClaims>;
