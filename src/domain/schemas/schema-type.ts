import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

/**
 * The TypeScript type of a value that passed `S` (with ajv's `useDefaults`, so a property with a
 * default is always present). Types are derived from the schemas, never written beside them.
 */
export type SchemaType<S extends JSONSchema> = FromSchema<S>;

export type { JSONSchema };
