import type { ErrorObject } from 'ajv';

import { ATTRIBUTE_NAME_PATTERN, MAX_ATTRIBUTES_BYTES, type UserAttributeSchema } from '../domain/claims/user-attributes.js';
import { RESERVED_CLAIMS } from '../domain/claims/token-claims.js';
import { createAjv } from './ajv.js';

const namePattern = new RegExp(ATTRIBUTE_NAME_PATTERN);

/** A field of a refused attribute set: `attributes.<name>` (ajv's path, dotted). */
function fieldOf(error: ErrorObject): string {
  const missing = (error.params as { additionalProperty?: string }).additionalProperty;
  const path = error.instancePath.split('/').filter(Boolean).join('.');
  return ['attributes', path, missing].filter(Boolean).join('.');
}

/**
 * Compiles the operator's attribute declarations (configuration `userAttributes`: name → JSON
 * Schema) once. Throws, naming the attribute, when a name or a schema cannot be used; start-up
 * then stops.
 */
export function createUserAttributeSchema(declarations: Record<string, unknown>): UserAttributeSchema {
  const names = Object.keys(declarations);
  for (const name of names) {
    if (!namePattern.test(name)) throw new Error(`userAttributes.${name}: an attribute name must match ${ATTRIBUTE_NAME_PATTERN}`);
    if (RESERVED_CLAIMS.has(name)) throw new Error(`userAttributes.${name}: the name is a claim Gatehouse already issues`);
  }
  const ajv = createAjv();
  let validate;
  try {
    validate = ajv.compile({ type: 'object', additionalProperties: false, properties: declarations });
  } catch (error) {
    throw new Error(`userAttributes: not a usable JSON Schema (${(error as Error).message})`);
  }
  return {
    names,
    check(attributes) {
      if (Buffer.byteLength(JSON.stringify(attributes)) > MAX_ATTRIBUTES_BYTES) return [{ field: 'attributes', detail: `must stay under ${MAX_ATTRIBUTES_BYTES} bytes as JSON` }];
      if (validate(attributes)) return [];
      return (validate.errors ?? []).map((e) => ({
        field: fieldOf(e),
        detail: e.keyword === 'additionalProperties' ? 'is not a declared user attribute' : e.message ?? 'is invalid',
      }));
    },
  };
}
