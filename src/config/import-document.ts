import type { ValidateFunction } from 'ajv';

import { ValidationError } from '../domain/errors.js';
import { importSchema, type ImportDocument } from '../domain/import/import-schema.js';
import { createAjv, describeErrors } from './ajv.js';

// Every string must be one Postgres can store (no NUL, no unpaired surrogate), as in API requests.
// Compiled on first use: most starts import nothing, and compiling it cost a second of CPU per start.
let compiled: ValidateFunction<ImportDocument> | undefined;
const documentValidator = () => (compiled ??= createAjv().compile<ImportDocument>({ ...importSchema, storable: true }));

/** Parses and validates an import document (defaults filled in); errors name each failing field. */
export function parseImportDocument(text: string, source: string): ImportDocument {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new ValidationError(`${source}: not valid JSON (${(cause as Error).message})`, [{ field: '', detail: 'not valid JSON' }]);
  }
  const validateDocument = documentValidator();
  if (!validateDocument(data)) {
    const lines = describeErrors(validateDocument.errors, data);
    throw new ValidationError(`${source}: ${lines.join('; ')}`, lines.map((l) => ({ field: fieldOfPath(l.split(' = ')[0]!), detail: l })));
  }
  return data;
}

/** `/users/0/email` (a line's path into the document) → the field `users.0.email`; `(root)` → ''. */
function fieldOfPath(path: string): string {
  return path.startsWith('/') ? path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.') : '';
}
