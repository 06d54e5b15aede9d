import type { ErrorObject, ValidateFunction } from 'ajv';

import { createAjv } from '../../config/ajv.js';
import { InvalidRequestError } from '../problems/invalid-request-error.js';
import type { ApiOperation, JsonSchema } from './api-operation.js';

export type RequestPart = 'params' | 'query' | 'body';

/** Nothing is accepted where an operation declares nothing: unknown query fields are errors too. */
const EMPTY_OBJECT: JsonSchema = { type: 'object', additionalProperties: false, properties: {} };

/**
 * Every part of every request must also be storable (no NUL, no unpaired surrogate in any
 * string or key): Postgres refuses those, and a refusal here names the field before any query.
 */
const storable = (schema: JsonSchema): JsonSchema => ({ ...schema, storable: true });

/**
 * The validators of every operation, each compiled on its first use and kept: compiling all of
 * them up front was 7 % of a warm start's CPU, for operations a node may never serve. (Every
 * operation is exercised by the test suite, so a schema ajv refuses still fails there.) Path
 * parameters and query strings arrive as text and are coerced to the schema's types; bodies are
 * JSON and are not.
 */
export function createApiValidators(operations: ReadonlyArray<ApiOperation>) {
  const textual = createAjv({ coerceTypes: true });
  const json = createAjv();
  const known = new Set(operations);
  const compiled = new Map<ApiOperation, Partial<Record<RequestPart, ValidateFunction | null>>>();
  const validatorOf = (operation: ApiOperation, part: RequestPart): ValidateFunction | null => {
    const parts = compiled.get(operation) ?? {};
    compiled.set(operation, parts);
    if (parts[part] === undefined) {
      if (part === 'body') parts.body = operation.body ? json.compile(storable(operation.body)) : null;
      else parts[part] = textual.compile(storable(operation[part] ?? EMPTY_OBJECT));
    }
    return parts[part]!;
  };

  return {
    /** Validates (and coerces, in place) one part of a request; throws a 400 listing every failing field. */
    check(operation: ApiOperation, part: RequestPart, value: unknown): void {
      const validate = known.has(operation) ? validatorOf(operation, part) : null;
      if (!validate || validate(value)) return;
      throw new InvalidRequestError(`the request ${part} is invalid`, (validate.errors ?? []).map((error) => ({
        pointer: `#/${part}${pointerOf(error)}`,
        detail: detailOf(error),
      })));
    },
  };
}

function pointerOf(error: ErrorObject): string {
  if (error.keyword === 'required') return `${error.instancePath}/${String(error.params.missingProperty)}`;
  if (error.keyword === 'additionalProperties') return `${error.instancePath}/${String(error.params.additionalProperty)}`;
  return error.instancePath;
}

function detailOf(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'enum') return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return error.message ?? 'is invalid';
}

export type ApiValidators = ReturnType<typeof createApiValidators>;
