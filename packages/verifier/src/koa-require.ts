import type { KoaLikeMiddleware } from './koa-auth.js';
import { bindingOf, checkRequirements } from './lib/auth-binding.js';
import { challengeFor } from './lib/challenge.js';
import { respondKoa } from './lib/respond.js';
import type { Requirement } from './requirement.js';
import { VerifierError } from './verifier-error.js';

/**
 * Koa middleware that applies requirements (in order) to the request {@link koaAuth} authenticated
 * earlier in the chain, answering 403 (`insufficient_scope` challenge), 401 or 503 itself when one
 * fails. Without a preceding koaAuth it throws: that is a wiring bug, so it surfaces as a 500.
 *
 * @example
 * ```ts
 * import { koaAuth, koaRequire, requireLab, requireRole, requireScope } from '@gatehouse/verifier';
 *
 * const auth = koaAuth(verifier);
 * router.get('/cases', auth, koaRequire(requireScope('cases:read')), listCases);
 * router.post('/cases/:id/close', auth, koaRequire(requireLab('admin'), requireRole('manager')), closeCase);
 * ```
 */
export function koaRequire(...requirements: Requirement[]): KoaLikeMiddleware {
  return async function gatehouseKoaRequire(ctx, next) {
    const binding = bindingOf((ctx.state as { auth?: unknown }).auth);
    if (!binding) throw new Error('koaRequire: ctx.state.auth holds no verified token; put koaAuth(verifier) before it');
    try {
      await checkRequirements(binding, requirements);
    } catch (error) {
      if (error instanceof VerifierError) return respondKoa(ctx, challengeFor(error, binding.realm, binding.retryAfterSeconds, binding.dpopAlgs, binding.resourceMetadata));
      throw error;
    }
    await next();
  };
}
