import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors, interactionPolicy } from 'oidc-provider';

import { isMultiFactor } from '../domain/factors/authentication-methods.js';
import type { MfaPolicy } from '../domain/factors/mfa-policy.js';
import type { User } from '../domain/types.js';

export const MFA_REQUIRED = 'mfa_required';

/**
 * Set in a login result (`result.login[DECIDED_WITHOUT_SECOND_FACTOR] = true`) by the password
 * step when it has just judged, for this interaction's request, that no second factor is needed:
 * the resume then does not judge again (the person, their factors and labs read a second time,
 * three queries, on every password sign-in). The result is written only by Gatehouse's own
 * interaction routes and kept server-side with the interaction.
 */
export const DECIDED_WITHOUT_SECOND_FACTOR = 'gatehouse_no_second_factor';

export interface MfaCheckDeps {
  policy: MfaPolicy;
  findActiveUser: (id: string) => Promise<User | undefined>;
}

const listOf = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(' ').filter(Boolean) : []);

/**
 * Adds the step-up check to oidc-provider's login prompt: a session signed in with one factor
 * must prove a second when this request needs one (the person has a factor, `acr_values` asks
 * for the multi-factor class, or the client, a resource, a lab or an admin role requires it).
 * The interaction then shows only the second step (src/interactions/second-factor-routes.ts).
 * `max_age` is oidc-provider's own check: a session too old signs in again, both factors.
 */
export function withMfaCheck(policy: interactionPolicy.DefaultPolicy, deps: MfaCheckDeps): interactionPolicy.DefaultPolicy {
  const login = policy.get('login');
  if (!login) throw new Error('the interaction policy has no login prompt');
  login.checks.push(new interactionPolicy.Check(MFA_REQUIRED, 'a second factor is required', 'login_required', async (ctx: KoaContextWithOIDC) => {
    const { session, params, client } = ctx.oidc;
    if (!session?.accountId || isMultiFactor(session.amr as string[] | undefined)) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    const justDecided = (ctx.oidc.result as { login?: Record<string, unknown> } | undefined)?.login;
    if (justDecided?.accountId === session.accountId && justDecided[DECIDED_WITHOUT_SECOND_FACTOR] === true) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    const user = await deps.findActiveUser(session.accountId);
    if (!user) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    const reason = await deps.policy.reason({ user, clientId: client?.clientId, resources: listOf(params?.resource), acrValues: listOf(params?.acr_values) });
    return reason ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
  }));
  return policy;
}

/** The sign-in a token comes from: the code, refresh token or device code being redeemed. */
function signInOf(ctx: KoaContextWithOIDC): { amr?: string[]; acr?: string } | undefined {
  const { entities } = ctx.oidc;
  return (entities.AuthorizationCode ?? entities.RefreshToken ?? entities.DeviceCode) as { amr?: string[]; acr?: string } | undefined;
}

/**
 * `amr` and `acr` of a person's access token (RFC 8176, RFC 9068 §2.2.1), from the sign-in the
 * token comes from. A token for a resource, or acting in a lab, that requires a second factor is
 * refused when that sign-in had none (a grant from before the policy, a lab switched on refresh).
 */
export function authenticationClaims(ctx: KoaContextWithOIDC, token: { accountId?: string }, target: { audience?: string; labId?: string }, policy: MfaPolicy): Record<string, unknown> {
  if (!token.accountId) return {};
  const signIn = signInOf(ctx);
  if (!signIn) return {};
  if (!isMultiFactor(signIn.amr) && (policy.resourceRequiresMfa(target.audience) || policy.labRequiresMfa(target.labId))) {
    throw new errors.InvalidGrant('a sign-in with a second factor is required for this resource or lab');
  }
  return { ...(signIn.amr ? { amr: signIn.amr } : {}), ...(signIn.acr ? { acr: signIn.acr } : {}) };
}
