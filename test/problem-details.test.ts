import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { locatorFor, pointedErrors } from '../src/http/problems/field-pointers.js';
import { problemTitle, problemType } from '../src/http/problems/problem-types.js';
import { packageRoot } from '../src/config/paths.js';

describe('problem details: stable titles, domain fields mapped to JSON pointers', () => {
  it('gives each problem type one title, also a code missing from the table', () => {
    assert.equal(problemTitle('conflict'), problemTitle('conflict'));
    assert.equal(problemTitle('validation_failed'), 'The request is invalid');
    assert.equal(problemTitle('some_new_code'), 'Some new code');
    assert.equal(problemType('not_found'), 'https://gatehouse.dev/problems/not_found');
  });

  it('documents every title docs/MANAGEMENT-API.md lists exactly as the API sends it', () => {
    const rows = [...readFileSync(join(packageRoot, 'docs/MANAGEMENT-API.md'), 'utf8').matchAll(/^ {2}\| `(\w+)` \| ([^|(]+?)(?: \(.*\))? \|$/gm)];
    assert.ok(rows.length >= 10, `found ${rows.length} rows`);
    for (const [, code, title] of rows) assert.equal(title, problemTitle(code!), code);
  });

  it('maps a use case\'s fields to pointers: path parameters first, then the body, then the query', () => {
    const locate = locatorFor({
      params: { properties: { clientId: {} } },
      query: { properties: { role: {}, name: {} } },
      body: { properties: { name: {}, labs: {} } },
    });
    assert.deepEqual(pointedErrors([
      { field: 'clientId', detail: 'a' },
      { field: 'role', detail: 'b' },
      { field: 'name', detail: 'c' },
      { field: 'labs.0.labId', detail: 'd' },
      { field: 'undeclared', detail: 'e' },
      { field: '', detail: 'f' },
    ], locate).map((e) => e.pointer), ['#/params/clientId', '#/query/role', '#/body/name', '#/body/labs/0/labId', '#/body/undeclared', '#/body']);
  });

  it('escapes a field segment as RFC 6901 asks, and puts fields in the body when no locator is given', () => {
    assert.deepEqual(pointedErrors([{ field: 'a/b.c~d', detail: 'x' }]), [{ pointer: '#/body/a~1b/c~0d', detail: 'x' }]);
  });

  it('leaves JSON pointers out of src/domain: use cases name fields, the HTTP layer points', () => {
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
      .flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []));
    const offenders = files(join(packageRoot, 'src/domain')).filter((file) => /#\/(body|params|query)\b|\bpointer\s*:/.test(readFileSync(file, 'utf8')));
    assert.deepEqual(offenders, []);
  });
});
