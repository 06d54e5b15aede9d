import { StorageUnavailableError } from './domain/errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** An error a storage outage caused: its state change is logged once, by the availability log. */
function fromOutage(value: unknown): boolean {
  for (let e = value, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    if (e instanceof StorageUnavailableError) return true;
  }
  return false;
}

/** The first line only: drivers put stack traces into messages. */
const firstLine = (text: string) => text.split('\n', 1)[0]!;

/**
 * JSON lines on stdout. Callers pass identifiers (client id, user id, request id), never
 * passwords, secrets or tokens; errors are reduced to name, code and the first line of their
 * message. A line about one failed call of a storage outage is written at debug level: the
 * outage itself is one warning when it starts and one line when it ends
 * (src/storage/availability-log.ts), not one per request.
 */
export function createLogger(level: LogLevel, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Logger {
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (msg: string, fields: Record<string, unknown> = {}) => {
    const effective = lvl !== 'debug' && Object.values(fields).some(fromOutage) ? 'debug' : lvl;
    if (order[effective] < order[level]) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level: effective, msg };
    for (const [key, value] of Object.entries(fields)) {
      entry[key] = value instanceof Error ? { name: value.name, code: (value as { code?: unknown }).code, message: firstLine(value.message) } : value;
    }
    write(JSON.stringify(entry));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * The same logger, with `context()` (the request being served: its trace and request ids) added
 * to every line; a field the caller passes wins.
 */
export function withContext(log: Logger, context: () => object | undefined): Logger {
  const at = (lvl: keyof Logger) => (msg: string, fields?: Record<string, unknown>) => log[lvl](msg, { ...context(), ...fields });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
