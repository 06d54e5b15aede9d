import { strict as assert } from 'node:assert';

import { mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, directoryService, lena, opsService, personToken, root, serviceToken, type ApiResponse, userIdsByName } from './helpers/management-api.js';
import { matrixSamples, type MatrixContext } from './helpers/management-samples.js';
import { userTokens } from './helpers/user-tokens.js';

/**
 * Acceptance 1 and 2: every documented operation, called by each kind of caller. The expected
 * outcome comes from the samples table (the specification), not from the server's own metadata:
 * platform admins and services with the scope succeed; a service without the scope gets 403;
 * lab admins succeed only where the table says so (on their own lab) and get 403 elsewhere;
 * on another lab they get exactly what a missing lab or user gets. No token: 401.
 */
describe(`management API: caller matrix (${mode})`, () => {
  let gh: TestGatehouse;
  let ctx: MatrixContext;
  let document: { paths: Record<string, Record<string, { operationId: string; security: Array<{ oauth2: string[] }> }>> };
  let tokens: { root: string; ops: string; directory: string; lena: string };

  before(async () => {
    gh = await startTestGatehouse();
    tokens = {
      root: await personToken(gh.issuer, root),
      ops: await serviceToken(gh.issuer, opsService),
      directory: await serviceToken(gh.issuer, directoryService, 'users:read labs:read'),
      lena: await personToken(gh.issuer, lena, { lab: 'lab-1' }),
    };
    const ids = await userIdsByName(gh.gatehouse.storage.db);
    let n = 0;
    ctx = {
      issuer: gh.issuer, ids, ops: (method, path, body) => api(gh.issuer, tokens.ops, method, path, body), unique: (prefix) => `${prefix}-${++n}-${Date.now().toString(36)}`,
      login: async (username, password) => { await userTokens(gh.issuer, { user: { username, password } }); },
    };
    document = await (await fetch(`${gh.issuer}/api/v1/openapi.json`)).json() as typeof document;
  });
  after(async () => gh?.stop());

  const operations = () => Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), operationId: op.operationId, scope: op.security[0]!.oauth2[0]! })));

  it('every documented operation has a row in the matrix (new operations cannot skip it)', () => {
    const missing = operations().filter((op) => !matrixSamples[op.operationId]).map((op) => op.operationId);
    assert.deepEqual(missing, []);
  });

  it('each operation answers each kind of caller as specified', async function () {
    this.timeout(300_000);
    const failures: string[] = [];
    const expectStatus = (label: string, response: ApiResponse, expected: number | number[]) => {
      const allowed = Array.isArray(expected) ? expected : [expected];
      if (!allowed.includes(response.status)) failures.push(`${label}: ${response.status} (expected ${allowed.join('|')}) ${JSON.stringify(response.body).slice(0, 200)}`);
    };
    for (const op of operations()) {
      const sample = matrixSamples[op.operationId];
      if (!sample) continue;
      const call = async (token: string | undefined) => {
        const request = await sample.request(ctx, token === tokens.lena ? 'lab_admin' : 'other');
        return api(gh.issuer, token, op.method, request.path, request.body);
      };
      expectStatus(`${op.operationId} anonymous`, await call(undefined), 401);
      const directoryMay = ['users:read', 'labs:read'].includes(op.scope);
      if (!directoryMay) expectStatus(`${op.operationId} service without ${op.scope}`, await call(tokens.directory), 403);
      if (!sample.labAdmin) expectStatus(`${op.operationId} lab admin`, await call(tokens.lena), 403);
      if (sample.otherLab) {
        const request = await sample.otherLab(ctx);
        const response = await api(gh.issuer, tokens.lena, op.method, request.path, request.body);
        if (typeof request.expect === 'function') {
          const problem = request.expect(response);
          if (problem) failures.push(`${op.operationId} lab admin on another lab: ${problem}: ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);
        } else {
          expectStatus(`${op.operationId} lab admin on another lab`, response, 404);
          const missing = await api(gh.issuer, tokens.lena, op.method, request.missingPath ?? request.path.replace(/lab-2/g, 'no-such-lab'), request.body);
          if (response.status === 404 && JSON.stringify({ ...response.body, request_id: 0 }) !== JSON.stringify({ ...missing.body, request_id: 0 })) {
            failures.push(`${op.operationId}: another lab's 404 differs from a missing lab's: ${JSON.stringify(response.body)} vs ${JSON.stringify(missing.body)}`);
          }
        }
      }
      expectStatus(`${op.operationId} platform admin`, await call(tokens.root), sample.servicesOnly ? 403 : sample.ok);
      expectStatus(`${op.operationId} service with ${op.scope}`, await call(tokens.ops), sample.ok);
      if (directoryMay) expectStatus(`${op.operationId} read-only service`, await call(tokens.directory), sample.ok);
      if (sample.labAdmin) expectStatus(`${op.operationId} lab admin on own lab`, await call(tokens.lena), sample.ok);
    }
    assert.deepEqual(failures, []);
  });
});
