import type { Requirement } from './requirement.js';
import { VerifierError } from './verifier-error.js';

/**
 * Requires every given scope in the token's `scope` claim. Fails with `insufficient_scope` (403);
 * the middleware then names the needed scopes in the challenge's `scope` attribute (RFC 6750 §3)
 * so a client knows what to ask for.
 *
 * @example
 * ```ts
 * import { koaRequire, requireScope } from '@gatehouse/verifier';
 *
 * router.get('/cases', auth, koaRequire(requireScope('cases:read')), listCases);
 * router.put('/cases/:id', auth, koaRequire(requireScope('cases:read', 'cases:write')), updateCase);
 * ```
 */
export function requireScope(scope: string, ...more: string[]): Requirement {
  const needed = [scope, ...more];
  return ({ claims }) => {
    const granted = new Set(claims.scope?.split(' ') ?? []);
    if (!needed.every((s) => granted.has(s))) {
      throw new VerifierError('insufficient_scope', `this request needs scope ${needed.join(' ')}`, { scope: needed.join(' ') });
    }
  };
}
