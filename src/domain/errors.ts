/**
 * The one base of Gatehouse's own (non-OAuth) errors. `code` is stable and documented;
 * `status` is the HTTP status a problem response carries; `expose` says whether `message`
 * may be shown to the caller.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly details?: Record<string, unknown>;

  constructor(code: string, status: number, message: string, options: { cause?: unknown; expose?: boolean; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.expose = options.expose ?? status < 500;
    this.details = options.details;
  }
}

/** Postgres or Redis cannot answer: the caller gets 503 with Retry-After, never a guess. */
export class StorageUnavailableError extends AppError {
  constructor(cause: unknown) {
    super('storage_unavailable', 503, 'a storage backend is unavailable; retry shortly', { cause, expose: true });
  }
}

export class ValidationError extends AppError {
  constructor(message: string, readonly errors: Array<{ pointer: string; detail: string }>) {
    super('validation_failed', 400, message, { details: { errors } });
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('not_found', 404, `${what} not found`);
  }
}
