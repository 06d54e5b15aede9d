import { writeFileSync } from 'node:fs';

import { importSchemaPath } from '../config/paths.js';
import { importSchema } from '../domain/import/import-schema.js';

// `npm run import-schema`: the JSON copy editors and users read. test/import-schema.test.ts fails while it is stale.
writeFileSync(importSchemaPath, `${JSON.stringify(importSchema, null, 2)}\n`);
process.stdout.write(`wrote ${importSchemaPath}\n`);
