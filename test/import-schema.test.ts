import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';

import { parseImportDocument } from '../src/config/import-document.js';
import { importSchemaPath } from '../src/config/paths.js';
import { importSchema } from '../src/domain/import/import-schema.js';
import { clientIdSchema } from '../src/domain/schemas/client-schemas.js';
import { fixtureImport } from './helpers/harness.js';

describe('the import schema', () => {
  it('config/import.schema.json is the schema the import validates with (regenerate with `npm run import-schema`)', () => {
    assert.deepEqual(JSON.parse(readFileSync(importSchemaPath, 'utf8')), JSON.parse(JSON.stringify(importSchema)));
  });

  it('takes its fields from the same schemas as the management API: a client id the API refuses, the import refuses', () => {
    const client = (importSchema.properties.clients.items.properties as { client_id: unknown }).client_id;
    assert.equal(client, clientIdSchema);
    assert.throws(() => parseImportDocument(JSON.stringify({ clients: [{ client_id: 'has space' }] }), 'doc.json'), /\/clients\/0\/client_id = "has space"/);
    assert.throws(() => parseImportDocument(JSON.stringify({ users: [{ username: 'ann', memberships: [{ lab: 'lab-1', role: 'owner' }] }] }), 'doc.json'), /memberships\/0\/role/);
  });

  it('accepts the example file and fills in the documented defaults', () => {
    const doc = parseImportDocument(readFileSync(fixtureImport, 'utf8'), fixtureImport);
    assert.deepEqual(doc.users?.find((u) => u.username === 'john')?.roles, [{ resource: 'https://cms.example', role: 'technician' }]);
    assert.equal(doc.users?.find((u) => u.username === 'john')?.memberships[0]?.status, undefined, 'an omitted membership status keeps an existing one');
    assert.deepEqual(doc.clients?.find((c) => c.client_id === 'spa')?.post_logout_redirect_uris, []);
  });
});
