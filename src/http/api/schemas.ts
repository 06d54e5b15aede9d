import type { JsonSchema } from './api-operation.js';

/** Shared JSON Schemas of the management API; the fields of users, labs, clients and resources are the domain's (src/domain/schemas). */

export { identifierSchema as idSchema } from '../../domain/schemas/identifier.js';
export { clientIdSchema } from '../../domain/schemas/client-schemas.js';
export { nullable, strictObject } from '../../domain/schemas/strict-object.js';

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
