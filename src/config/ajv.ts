import { Ajv, type SchemaValidateFunction, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

import { findUnstorable } from '../lib/storable-text.js';

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** Options shared by every validator: one instance per purpose, schemas compiled once. */
export function createAjv(options: { coerceTypes?: boolean } = {}): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    coerceTypes: options.coerceTypes ?? false,
    strict: true,
  });
  ajv.addVocabulary(['x-env']);
  addFormats(ajv);
  addStorableKeyword(ajv);
  return ajv;
}

/**
 * `storable: true` — no string anywhere inside the value (object keys included) holds what
 * Postgres cannot store (a NUL, an unpaired surrogate). One error per such string, at its own
 * path, so a refusal names every failing field.
 */
function addStorableKeyword(ajv: Ajv): void {
  const validate: SchemaValidateFunction = (schema, data, _parentSchema, context) => {
    if (schema !== true) return true;
    const found = findUnstorable(data, context?.instancePath ?? '');
    validate.errors = found.map(({ pointer, detail }) => ({ keyword: 'storable', instancePath: pointer, schemaPath: '#/storable', params: {}, message: detail }));
    return found.length === 0;
  };
  ajv.addKeyword({ keyword: 'storable', schemaType: 'boolean', errors: true, validate });
}

/** One line per failing value: `<path> = <value>: <what was expected>`. */
export function describeErrors(
  errors: ErrorObject[] | null | undefined,
  data: unknown,
  name: (instancePath: string) => string = (p) => p || '(root)',
): string[] {
  return (errors ?? []).map((error) => {
    let path = error.instancePath;
    if (error.keyword === 'required') path += `/${String(error.params.missingProperty)}`;
    if (error.keyword === 'additionalProperties') path += `/${String(error.params.additionalProperty)}`;
    const value = valueAt(data, path);
    const shown = value === undefined ? '(unset)' : JSON.stringify(withoutCredentials(value));
    const expectation = error.keyword === 'additionalProperties' ? 'is not a known setting' : error.message ?? 'is invalid';
    return `${name(path)} = ${shown}: ${expectation}`;
  });
}

/** A connection string's password (`scheme://user:password@host`) is never echoed in an error line. */
function withoutCredentials(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@') : value;
}

function valueAt(data: unknown, pointer: string): unknown {
  let current: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export type { ValidateFunction };
