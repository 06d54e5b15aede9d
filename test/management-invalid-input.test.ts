import { strict as assert } from 'node:assert';

import fc from 'fast-check';

import { createAjv } from '../src/config/ajv.js';
import { mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService, serviceToken } from './helpers/management-api.js';

/** Tables the management API writes: their content must not change when a request is refused. */
const TABLES = ['users', 'labs', 'memberships', 'resource_roles', 'clients', 'resources', 'audit_log', 'grant_labs'];

interface Target { operationId: string; method: string; path: string; bodySchema?: object; querySchema?: object }

describe(`management API: 500 random invalid bodies and queries (${mode})`, () => {
  let gh: TestGatehouse;
  let token: string;
  let targets: Target[];
  let johnId: string;

  before(async () => {
    gh = await startTestGatehouse();
    token = await serviceToken(gh.issuer, opsService);
    johnId = (await gh.gatehouse.storage.db('users').first('id').where({ username: 'john' })).id;
    const document = await (await fetch(`${gh.issuer}/api/v1/openapi.json`)).json() as { paths: Record<string, Record<string, any>> };
    targets = [];
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const query = (op.parameters as Array<{ name: string; in: string; schema: object; required: boolean }>).filter((p) => p.in === 'query');
        const bodySchema = op.requestBody?.content['application/json'].schema;
        if (!bodySchema && !query.length) continue;
        targets.push({
          operationId: op.operationId, method: method.toUpperCase(), path: path.replace('/api/v1', ''), bodySchema,
          querySchema: query.length ? { type: 'object', additionalProperties: false, properties: Object.fromEntries(query.map((p) => [p.name, p.schema])), required: query.filter((p) => p.required).map((p) => p.name) } : undefined,
        });
      }
    }
  });
  after(async () => gh?.stop());

  /** Path parameters get real, valid values, so that only the body or query is wrong. */
  function concretePath(template: string): string {
    const values: Record<string, string> = { labId: 'lab-1', userId: johnId, clientId: 'portal', resourceUri: encodeURIComponent('https://cms.example') };
    return template.replace(/\{(\w+)\}/g, (_m, name: string) => values[name] ?? 'some-id');
  }

  async function digest(): Promise<Record<string, string>> {
    const db = gh.gatehouse.storage.db;
    const out: Record<string, string> = {};
    for (const table of TABLES) {
      const { rows } = await db.raw(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS d FROM ${table} t`) as { rows: Array<{ d: string }> };
      out[table] = rows[0]!.d;
    }
    return out;
  }

  it('each gets a 4xx problem+json naming what is wrong (one title per type, the specifics in detail), none a 5xx, and the database is unchanged', async () => {
    assert.ok(targets.some((t) => t.bodySchema), 'there are write endpoints to try');
    const json = createAjv();
    const textual = createAjv({ coerceTypes: true });
    const isValidBody = new Map(targets.filter((t) => t.bodySchema).map((t) => [t, json.compile(t.bodySchema!)]));
    const isValidQuery = new Map(targets.filter((t) => t.querySchema).map((t) => [t, textual.compile(t.querySchema!)]));

    const keysOf = (schema: object | undefined) => Object.keys((schema as { properties?: object } | undefined)?.properties ?? {});
    // Known field names with values of any type, sometimes an unknown field: deeper than random JSON alone.
    const fieldsOf = (schema: object | undefined) => fc.dictionary(fc.oneof(fc.constantFrom(...keysOf(schema), 'unknownField'), fc.string()), fc.anything(), { maxKeys: 6 });
    const bodyCase = (t: Target) => fc.oneof(fc.anything(), fieldsOf(t.bodySchema), fc.constantFrom('{', '[1,', '{"a":}', 'null x'))
      .map((body) => ({ kind: 'body' as const, t, body }))
      // Judged as sent: JSON drops undefined members ({"unknownField": undefined} is sent as {}).
      .filter(({ body }) => {
        if (typeof body === 'string') return true;
        const sent = JSON.stringify(body);
        return sent === undefined || !isValidBody.get(t)!(JSON.parse(sent));
      });
    const queryCase = (t: Target) => fc.dictionary(fc.oneof(fc.constantFrom(...keysOf(t.querySchema), 'unknownField'), fc.string({ minLength: 1 })), fc.oneof(fc.string(), fc.integer().map(String), fc.constantFrom('-1', '0', '1e9', 'abc', '')), { minKeys: 1, maxKeys: 4 })
      .map((query) => ({ kind: 'query' as const, t, query }))
      .filter(({ query }) => !isValidQuery.get(t)!({ ...query }));
    const cases = fc.constantFrom(...targets).chain((t) => {
      const options = [...(t.bodySchema ? [bodyCase(t)] : []), ...(t.querySchema ? [queryCase(t)] : [])];
      return fc.oneof(...options);
    });

    const before = await digest();
    const seen = new Set<string>();
    const titles = new Map<string, string>();
    await fc.assert(fc.asyncProperty(cases, async (c) => {
      const path = concretePath(c.t.path);
      seen.add(c.t.operationId);
      const response = c.kind === 'body'
        ? await api(gh.issuer, token, c.t.method, path, undefined, { raw: typeof c.body === 'string' ? c.body : JSON.stringify(c.body) ?? 'undefined' })
        : await api(gh.issuer, token, c.t.method, `${path}?${new URLSearchParams(c.query)}`, c.t.bodySchema ? {} : undefined);
      const label = `${c.t.operationId} ${JSON.stringify(c.kind === 'body' ? c.body : c.query)} → ${response.status} ${JSON.stringify(response.body)}`;
      assert.ok(response.status >= 400 && response.status < 500, label);
      assert.equal(response.headers.get('content-type'), 'application/problem+json', label);
      assert.equal(response.body.status, response.status, label);
      // RFC 9457: the title is the type's, whatever the occurrence; what happened this time is in detail.
      assert.equal(response.body.title, titles.get(response.body.type) ?? response.body.title, `a second title for ${response.body.type}: ${label}`);
      titles.set(response.body.type, response.body.title);
      assert.ok(typeof response.body.detail === 'string' && response.body.detail.length > 0, `no detail: ${label}`);
      if (response.status === 400) assert.ok(Array.isArray(response.body.errors) && response.body.errors.length > 0, `no field errors: ${label}`);
    }), { numRuns: 500 });
    assert.deepEqual(await digest(), before, 'refused requests changed nothing');
    assert.ok(seen.size >= Math.min(targets.length, 5), `only ${seen.size} operations were tried`);
  });
});
