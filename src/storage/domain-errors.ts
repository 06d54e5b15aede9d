import { DuplicateError, MissingReferenceError, StorageUnavailableError } from '../domain/errors.js';

const connectionCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENETDOWN', 'EADDRNOTAVAIL', 'EAI_AGAIN', 'ERR_SOCKET_CLOSED',
]);

/**
 * What drivers say when the connection, not the query, failed. pg: a dead or closed client, a
 * read or connect timeout (pg's `query_timeout`; `connectionTimeoutMillis` says "timeout expired"); ioredis: a closed
 * connection, the offline queue refused, a command timeout (`commandTimeout`).
 */
const connectionMessages = /Connection is closed|Stream isn't writeable|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error|Client was closed and is not queryable|Query read timeout|^timeout expired$|Command timed out|timeout exceeded when trying to connect|Connection ended unexpectedly|None of the sentinels are available|Failed to refresh slots cache/i;

/**
 * Whether an error means "the backend could not be reached" (answer 503) rather than "the
 * query was wrong" (a bug: 500). Postgres SQLSTATE classes 08 (connection), 53 (resources),
 * 57P (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now — a restart);
 * knex pool timeouts; socket errors; ioredis' closed-connection, offline-queue and timeout
 * errors. Node reports a failed connection to a host with several addresses as an
 * AggregateError, and libraries wrap errors in `cause`: both are looked through.
 */
export function isUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  if (error instanceof StorageUnavailableError) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (connectionCodes.has(code)) return true;
    if (/^(08|53|57P)/.test(code)) return true;
  }
  if (error.name === 'KnexTimeoutError' || error.name === 'MaxRetriesPerRequestError') return true;
  if (connectionMessages.test(error.message)) return true;
  if (error instanceof AggregateError && error.errors.some((inner) => isUnavailable(inner, depth + 1))) return true;
  return isUnavailable((error as { cause?: unknown }).cause, depth + 1);
}

/** Which domain field each unique constraint protects (Postgres names them in 23505 errors). */
const UNIQUE_FIELDS: Record<string, string> = {
  users_pkey: 'id',
  users_username_lower: 'username',
  users_email_lower: 'email',
  labs_pkey: 'id',
  memberships_pkey: 'membership',
  resources_pkey: 'uri',
  clients_pkey: 'clientId',
};

/**
 * The one place a driver's error becomes one the domain understands: SQLSTATE 23505 is a
 * DuplicateError naming the field, 23503 a MissingReferenceError, an unreachable backend a
 * StorageUnavailableError. Anything else passes through unchanged (a bug: 500).
 */
export function toDomainError(error: unknown): unknown {
  if (error instanceof DuplicateError || error instanceof MissingReferenceError || error instanceof StorageUnavailableError) return error;
  const e = error as { code?: string; constraint?: string };
  if (e?.code === '23505') return new DuplicateError(e.constraint ? UNIQUE_FIELDS[e.constraint] : undefined, error);
  if (e?.code === '23503') return new MissingReferenceError(error);
  if (isUnavailable(error)) return new StorageUnavailableError(error);
  return error;
}

/** Runs a storage call, translating what it throws with toDomainError. */
export async function guardStorage<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toDomainError(error);
  }
}

const isAsyncGeneratorFunction = (fn: unknown) => (fn as { constructor?: { name?: string } })?.constructor?.name === 'AsyncGeneratorFunction';

/** What storage reports about one call, for latency and error metrics. */
export interface StorageObservation {
  backend: 'postgres' | 'store';
  /** `<repository>.<method>`, or `store.<method>`: a fixed set, never request input. */
  operation: string;
  seconds: number;
  /** The backend could not answer (an answer such as a duplicate is not a failure). */
  failed: boolean;
  /** When it failed: what the driver said (for the one log line an outage gets). */
  reason?: unknown;
}

/** Where timings of storage calls go (the metrics). */
export type StorageObserver = (observation: StorageObservation) => void;

export interface ObservedAs { backend: 'postgres' | 'store'; name: string; observe?: StorageObserver }

/**
 * Wraps every method of a repository or store so that what it throws is translated with
 * toDomainError: adapters implement the domain's ports and speak its errors, so no caller ever
 * reads a SQLSTATE. With `as.observe`, each call's duration is reported, and whether the backend
 * failed (an answer such as a duplicate is not a failure).
 */
export function withDomainErrors<T extends object>(target: T, as?: ObservedAs): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(target)) {
    if (typeof value !== 'function') {
      wrapped[name] = value;
      continue;
    }
    const report = as?.observe ? observer(as.observe, as.backend, `${as.name}.${name}`) : undefined;
    if (isAsyncGeneratorFunction(value)) {
      wrapped[name] = async function* generate(...args: unknown[]) {
        try {
          yield* (value as (...a: unknown[]) => AsyncGenerator<unknown>).apply(target, args);
        } catch (error) {
          throw toDomainError(error);
        }
      };
    } else {
      wrapped[name] = (...args: unknown[]) => {
        const started = report ? process.hrtime.bigint() : 0n;
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          const translated = toDomainError(error);
          report?.(started, translated);
          throw translated;
        }
        if (!(result instanceof Promise)) return result;
        return result.then(
          (resolved: unknown) => { report?.(started); return resolved; },
          (error: unknown) => { const translated = toDomainError(error); report?.(started, translated); throw translated; },
        );
      };
    }
  }
  return wrapped as T;
}

function observer(observe: StorageObserver, backend: 'postgres' | 'store', operation: string) {
  return (started: bigint, error?: unknown) => {
    const failed = error instanceof StorageUnavailableError;
    observe({ backend, operation, seconds: Number(process.hrtime.bigint() - started) / 1e9, failed, ...(failed ? { reason: error.cause } : {}) });
  };
}
