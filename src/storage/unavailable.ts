import { StorageUnavailableError } from '../domain/errors.js';

const connectionCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN',
]);

/**
 * Whether an error means "the backend could not be reached" (answer 503) rather than "the
 * query was wrong" (a bug: 500). Postgres SQLSTATE classes 08 (connection), 53 (resources),
 * 57P (shutdown); knex pool timeouts; ioredis' closed-connection and offline-queue errors.
 */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof StorageUnavailableError) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (connectionCodes.has(code)) return true;
    if (/^(08|53|57P)/.test(code)) return true;
  }
  if (error.name === 'KnexTimeoutError' || error.name === 'MaxRetriesPerRequestError') return true;
  return /Connection is closed|Stream isn't writeable|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error/i.test(error.message);
}

/** Runs a storage call, turning an unreachable backend into StorageUnavailableError. */
export async function guardStorage<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isUnavailable(error)) throw new StorageUnavailableError(error);
    throw error;
  }
}
