import type { GatehouseClaims } from '../gatehouse-claims.js';
import type { AuthContext, Requirement } from '../requirement.js';

/** What koaRequire/expressRequire need from the koaAuth/expressAuth that ran before them. */
export interface AuthBinding extends AuthContext {
  realm: string;
  retryAfterSeconds: number;
  /** Set when the token came with the DPoP scheme: later challenges are DPoP ones too. */
  dpopAlgs?: readonly string[];
  /** The RFC 9728 metadata URL later challenges name too. */
  resourceMetadata?: string;
}

// Keyed by the frozen claims object on ctx.state.auth / req.auth, so the raw token and verifier
// travel with it without another property on the request (jose keeps builder state the same way).
const bindings = new WeakMap<GatehouseClaims, AuthBinding>();

export const bindAuth = (binding: AuthBinding): void => void bindings.set(binding.claims, binding);
export const bindingOf = (claims: unknown): AuthBinding | undefined => (typeof claims === 'object' && claims !== null ? bindings.get(claims as GatehouseClaims) : undefined);

export async function checkRequirements(auth: AuthContext, requirements: readonly Requirement[]): Promise<void> {
  // In order, so cheap local checks listed first spare an introspection call.
  for (const requirement of requirements) await requirement(auth);
}
