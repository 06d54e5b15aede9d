import Koa from 'koa';
import Router from '@koa/router';
import { createVerifier, type Verifier, type VerifierOptions } from '@gatehouse/verifier';

import { createMemoryCaseRepository, type CaseRepository } from './case-repository.js';
import { createCaseRoutes, type CaseState } from './case-routes.js';
import { problemMiddleware } from './problem.js';

/** Options of {@link createCaseService}. */
export interface CaseServiceOptions extends Omit<VerifierOptions, 'issuer' | 'audience'> {
  /** Gatehouse's issuer URL. */
  issuer: string;
  /** This service's resource URI as registered in Gatehouse, e.g. `https://cms.example`. */
  audience: string;
  /** Where cases live. Default: a fresh in-memory repository. */
  cases?: CaseRepository;
  /** Called with unexpected (500) errors. Default: console.error. */
  onError?: (error: unknown) => void;
}

/** The Koa app, with the verifier and repository it uses (tests and main reach them here). */
export interface CaseService {
  app: Koa<CaseState>;
  verifier: Verifier;
  cases: CaseRepository;
}

/**
 * The case service: /healthz and /api/cases, guarded by Gatehouse access tokens for `audience`.
 * Remaining options (`jwksCooldownMs`, `timeoutMs`, `fetch`, ...) go to the verifier unchanged.
 *
 * @example
 * ```ts
 * const { app } = createCaseService({ issuer: 'https://id.example.org', audience: 'https://cms.example' });
 * app.listen(5001);
 * ```
 */
export function createCaseService(options: CaseServiceOptions): CaseService {
  const { cases = createMemoryCaseRepository(), onError = (error) => console.error('case service error', error), ...verifierOptions } = options;
  const verifier = createVerifier(verifierOptions);

  const app = new Koa<CaseState>();
  // problemMiddleware reports 500s through onError; Koa's default printer would repeat them.
  app.silent = true;
  app.use(problemMiddleware(onError));

  const health = new Router();
  health.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  const caseRoutes = createCaseRoutes({ verifier, cases });
  app.use(health.routes()).use(caseRoutes.routes()).use(caseRoutes.allowedMethods());
  return { app, verifier, cases };
}
