import type { ExpressLikeMiddleware } from './express-auth.js';
import { bindingOf, checkRequirements } from './lib/auth-binding.js';
import { challengeFor } from './lib/challenge.js';
import { respondNode } from './lib/respond.js';
import type { Requirement } from './requirement.js';
import { VerifierError } from './verifier-error.js';

/**
 * Express middleware that applies requirements (in order) to the request {@link expressAuth}
 * authenticated earlier, answering 403/401/503 itself when one fails. Without a preceding
 * expressAuth it passes an Error to `next`: a wiring bug.
 *
 * @example
 * ```ts
 * import { expressAuth, expressRequire, requireActive, requireRole } from '@gatehouse/verifier';
 *
 * app.delete('/cases/:id', expressAuth(verifier), expressRequire(requireRole('manager'), requireActive()), deleteCase);
 * ```
 */
export function expressRequire(...requirements: Requirement[]): ExpressLikeMiddleware {
  return function gatehouseExpressRequire(req, res, next) {
    const binding = bindingOf(req.auth);
    if (!binding) return next(new Error('expressRequire: req.auth holds no verified token; put expressAuth(verifier) before it'));
    checkRequirements(binding, requirements).then(
      () => next(),
      (error: unknown) => {
        if (error instanceof VerifierError) return respondNode(res, challengeFor(error, binding.realm, binding.retryAfterSeconds, binding.dpopAlgs, binding.resourceMetadata));
        next(error);
      },
    );
  };
}
