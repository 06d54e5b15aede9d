import { AppError } from '../../domain/errors.js';
import type { PointedError } from './field-pointers.js';

/**
 * A request refused before any use case ran (schema, JSON syntax, a query rule): the HTTP
 * layer knows where each value travelled, so it names the JSON pointers itself.
 */
export class InvalidRequestError extends AppError {
  constructor(message: string, readonly pointers: readonly PointedError[]) {
    super('validation_failed', 400, message);
  }
}
