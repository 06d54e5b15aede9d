/**
 * What is wrong with one field of the input, named as the use case names it: `username`,
 * `labs.0.labId` (a dotted path into the input). Where that field travelled — a path
 * parameter, the query, a JSON body, a command-line flag — is for the caller's layer to say.
 */
export interface FieldError {
  field: string;
  detail: string;
}

/**
 * The one base of Gatehouse's own (non-OAuth) errors. `code` is stable and documented;
 * `status` is the HTTP status a problem response carries; `expose` says whether `message`
 * may be shown to the caller; `fields` names the input fields at fault.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly details?: Record<string, unknown>;
  readonly fields?: readonly FieldError[];

  constructor(code: string, status: number, message: string, options: { cause?: unknown; expose?: boolean; details?: Record<string, unknown>; fields?: readonly FieldError[] } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.expose = options.expose ?? status < 500;
    this.details = options.details;
    this.fields = options.fields;
  }
}

/** Postgres or Redis cannot answer: the caller gets 503 with Retry-After, never a guess. */
export class StorageUnavailableError extends AppError {
  constructor(cause: unknown) {
    super('storage_unavailable', 503, 'a storage backend is unavailable; retry shortly', { cause, expose: true });
  }
}

export class ValidationError extends AppError {
  declare readonly fields: readonly FieldError[];

  constructor(message: string, fields: readonly FieldError[]) {
    super('validation_failed', 400, message, { fields });
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('not_found', 404, `${what} not found`);
  }
}

/** The request carries no valid credentials (RFC 6750 `invalid_token`, or none at all). */
export class UnauthorizedError extends AppError {
  constructor(message: string, readonly challenge: string) {
    super('unauthorized', 401, message);
  }
}

/** The caller is known but may not do this (missing scope, or not an admin of that lab). */
export class ForbiddenError extends AppError {
  constructor(message: string, readonly challenge?: string) {
    super('forbidden', 403, message);
  }
}

/** The change would duplicate something unique (a username, an email, a membership). */
export class ConflictError extends AppError {
  constructor(message: string, options: { fields?: readonly FieldError[]; details?: Record<string, unknown> } = {}) {
    super('conflict', 409, message, options);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limit: string) {
    super('payload_too_large', 413, `request body exceeds ${limit}`);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(expected: string) {
    super('unsupported_media_type', 415, `request body must be ${expected}`);
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(readonly allow: string[]) {
    super('method_not_allowed', 405, `allowed methods: ${allow.join(', ')}`);
  }
}

export class TooManyRequestsError extends AppError {
  constructor(message: string) {
    super('too_many_requests', 429, message);
  }
}

/**
 * Storage refused a write because something unique already exists. `field` names the domain
 * field that must be unique (`email`, `username`, `id`…) when storage can tell. Use cases turn
 * it into a precise ConflictError; one that reaches the edge is a concurrent change: 409.
 */
export class DuplicateError extends AppError {
  constructor(readonly field: string | undefined, cause?: unknown) {
    super('conflict', 409, 'the change conflicts with another one made at the same time; read again and retry', { cause });
  }
}

/** Storage refused a write that refers to something that does not exist (or is still referred to). */
export class MissingReferenceError extends AppError {
  constructor(cause?: unknown) {
    super('conflict', 409, 'the change conflicts with another one made at the same time; read again and retry', { cause });
  }
}
