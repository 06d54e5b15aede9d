import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { koaAuth, koaRequire, requireLab, requireScope, type GatehouseClaims, type LabRole, type Verifier } from '@gatehouse/verifier';

import type { CaseRepository } from './case-repository.js';
import { Problem } from './problem.js';
import { parseNewCase } from './validate-new-case.js';

/** What koaAuth leaves on ctx.state for the handlers. */
export interface CaseState {
  auth: GatehouseClaims;
}

// Lab membership roles, matched exactly (requireLab has no hierarchy): list every role that passes.
const READERS: LabRole[] = ['admin', 'member', 'viewer'];
const WRITERS: LabRole[] = ['admin', 'member'];
const ADMINS: LabRole[] = ['admin'];

/**
 * /api/cases. Authentication and authorization come only from the verifier: koaAuth on every
 * route, then requireLab with the lab roles allowed, then the scope. Lab checks come first so a
 * viewer trying to write learns it is the role, not the scope, that is missing.
 *
 * Tenancy: the lab is always `auth.lab_id` from the verified token, passed to every repository
 * call. A case of another lab is answered 404 exactly like an id that never existed, so a caller
 * cannot probe which ids exist elsewhere.
 */
export function createCaseRoutes(deps: { verifier: Verifier; cases: CaseRepository }): Router<CaseState> {
  const { cases } = deps;
  const router = new Router<CaseState>({ prefix: '/api/cases' });
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: '16kb' });

  router.use(koaAuth(deps.verifier));

  router.get('/', koaRequire(requireLab(...READERS), requireScope('cases:read')), async (ctx) => {
    ctx.body = { cases: await cases.list(labOf(ctx.state)) };
  });

  router.get('/:id', koaRequire(requireLab(...READERS), requireScope('cases:read')), async (ctx) => {
    const found = await cases.find(labOf(ctx.state), ctx.params.id);
    if (!found) throw caseNotFound();
    ctx.body = found;
  });

  router.post('/', koaRequire(requireLab(...WRITERS), requireScope('cases:write')), json, async (ctx) => {
    if (!ctx.is('application/json')) throw new Problem(415, 'unsupported_media_type', 'send the case as application/json');
    const created = await cases.create(labOf(ctx.state), ctx.state.auth.sub, parseNewCase(ctx.request.body));
    ctx.status = 201;
    ctx.set('Location', `/api/cases/${created.id}`);
    ctx.body = created;
  });

  router.delete('/:id', koaRequire(requireLab(...ADMINS), requireScope('cases:write')), async (ctx) => {
    if (!(await cases.remove(labOf(ctx.state), ctx.params.id))) throw caseNotFound();
    ctx.status = 204;
  });

  return router;
}

/** The lab of the request. requireLab has already refused tokens without one; this is the backstop. */
function labOf(state: CaseState): string {
  const labId = state.auth?.lab_id;
  if (!labId) throw new Error('case route reached without a lab: requireLab is missing from its chain');
  return labId;
}

const caseNotFound = () => new Problem(404, 'case_not_found', 'no such case in this lab');
