import type { JsonSchema } from './api-operation.js';

/** Shared JSON Schemas of the management API. */

export const idSchema = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$' } as const;

/** OAuth client ids (RFC 6749 allows more; Gatehouse keeps them URL-safe). */
export const clientIdSchema = { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,100}$' } as const;

export const paginationQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 200, default: 50, description: 'Page size (1–200).' },
  offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0, description: 'Items to skip.' },
} as const;

export interface Page { limit: number; offset: number }

/** A page of items plus the total matching the filters; items come in a stable order. */
export function pageOf(items: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: ['items', 'total', 'limit', 'offset'],
    properties: { items: { type: 'array', items }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } },
  };
}

export const timestamp = { type: 'string', format: 'date-time' } as const;

/** Object schema that rejects unknown fields. */
export function strictObject(properties: Record<string, JsonSchema>, required: string[] = [], extra: JsonSchema = {}): JsonSchema {
  return { type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}), ...extra };
}
