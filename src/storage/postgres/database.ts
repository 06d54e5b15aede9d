import { mkdirSync } from 'node:fs';

import knexModule, { type Knex } from 'knex';
import pg from 'pg';

import { migrationSource } from '../../../migrations/index.js';

const { knex } = knexModule;

// timestamptz and bigint arrive as Date and string by default; repositories want numbers for
// the latter (counts, ids) and pg's Date for the former is fine.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export type Database = Knex;

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  poolMax: number;
  /** Where knex's own warnings go (it prints to the console otherwise, stack traces included). */
  onWarning?: (message: string) => void;
}

/**
 * Real PostgreSQL when a URL is given, otherwise embedded PGlite in `dataDir/pglite`: the same
 * migrations and SQL either way. PGlite is loaded only when embedded: with a URL its ~20 MB of
 * code would sit in every node's memory unused.
 */
export async function createDatabase({ databaseUrl, dataDir, poolMax, onWarning = () => {} }: DatabaseOptions): Promise<{ db: Database; mode: 'postgres' | 'embedded' }> {
  if (databaseUrl) {
    return {
      mode: 'postgres',
      db: knex({
        client: 'pg',
        // A partition leaves sockets open but silent: without a read timeout a query would wait
        // forever. Gatehouse's queries are small and indexed; 10 s means the server is not answering.
        connection: { connectionString: databaseUrl, connectionTimeoutMillis: 2000, query_timeout: QUERY_TIMEOUT_MS },
        pool: { min: 0, max: poolMax, afterCreate: dropOnReadTimeout },
        acquireConnectionTimeout: 3000,
        // knex otherwise puts the SQL with its bound values (token ids, hashes) into error messages.
        compileSqlOnError: false,
        log: knexLog(onWarning),
      }),
    };
  }
  const { default: ClientPgLite } = await import('knex-pglite');
  const filename = `${dataDir}/pglite`;
  mkdirSync(filename, { recursive: true });
  return {
    mode: 'embedded',
    db: knex({ client: ClientPgLite as unknown as typeof knex.Client, dialect: 'postgres', connection: { filename }, compileSqlOnError: false } as Knex.Config),
  };
}

const QUERY_TIMEOUT_MS = 10_000;

interface PgConnection {
  query(config: unknown, callback?: (error: Error | null, result: unknown) => void): unknown;
  connection?: { stream?: { destroy(): void } };
}

/**
 * After a read timeout the connection's protocol state is unknown (the query may still be on
 * the wire): close it, so the pool drops it instead of queueing the next query behind it.
 */
function dropOnReadTimeout(connection: PgConnection, done: (error: Error | null, connection: PgConnection) => void): void {
  const query = connection.query.bind(connection);
  connection.query = (config, callback) => query(config, callback && ((error, result) => {
    if (error?.message === 'Query read timeout') connection.connection?.stream?.destroy();
    callback(error, result);
  }));
  done(null, connection);
}

function knexLog(onWarning: (message: string) => void): Knex.Config['log'] {
  // One line, no stack (knex puts the error's stack into its message strings).
  const toLine = (message: unknown) => onWarning((message instanceof Error ? `${message.name}: ${message.message}` : String(message)).split('\n', 1)[0]!);
  return { warn: toLine, error: toLine, deprecate: toLine, debug: () => {} };
}

export async function migrateLatest(db: Database): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

export async function pendingMigrations(db: Database): Promise<string[]> {
  const [, pending] = (await db.migrate.list({ migrationSource })) as [unknown, Array<{ file?: string } | string>];
  return pending.map((m) => (typeof m === 'string' ? m : String(m.file ?? m)));
}
