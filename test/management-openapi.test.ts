import { strict as assert } from 'node:assert';

import { Validator } from '@seriousme/openapi-schema-validator';

import { mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api } from './helpers/management-api.js';

describe(`management API: the OpenAPI document (${mode})`, () => {
  let gh: TestGatehouse;
  let document: any;
  before(async () => {
    gh = await startTestGatehouse();
    const response = await fetch(`${gh.issuer}/api/v1/openapi.json`);
    assert.equal(response.status, 200);
    document = await response.json();
  });
  after(async () => gh?.stop());

  it('validates as OpenAPI 3.1', async () => {
    const result = await new Validator().validate(document);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(document.openapi, '3.1.0');
    assert.equal(document.servers[0].url, gh.issuer);
  });

  it('every documented operation exists and is protected; what is not documented is a 404 problem', async () => {
    const operations = Object.entries(document.paths as Record<string, Record<string, any>>)
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    assert.ok(operations.length >= 10, `only ${operations.length} operations documented`);
    for (const { path, method, op } of operations) {
      const concrete = path.replace('/api/v1', '').replace(/\{(\w+)\}/g, 'some-id');
      const response = await api(gh.issuer, undefined, method.toUpperCase(), concrete, op.requestBody ? {} : undefined);
      assert.equal(response.status, 401, `${method} ${path} answered ${response.status}, not 401 without a token`);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /);
      assert.ok(op.security[0].oauth2.length === 1, `${op.operationId} names its scope`);
    }
    const unknown = await api(gh.issuer, undefined, 'GET', '/no-such-thing');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('content-type'), 'application/problem+json');
  });

  it('the docs page shows every operation, with no inline script', async () => {
    const response = await fetch(`${gh.issuer}/api/v1/docs`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const html = await response.text();
    assert.doesNotMatch(html, /<script/i);
    for (const methods of Object.values(document.paths as Record<string, Record<string, { operationId: string }>>)) {
      for (const op of Object.values(methods)) assert.ok(html.includes(`id="${op.operationId}"`), `${op.operationId} missing from the docs page`);
    }
  });
});
