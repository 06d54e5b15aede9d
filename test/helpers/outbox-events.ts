import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';

import { AUDIT_LOCK } from '../../src/storage/postgres/audit-repository.js';

/**
 * Writes `count` events straight into the outbox the way audited changes do (under the audit
 * lock, in one transaction): `user.updated` events numbered from `firstN` (`data.n`), spread
 * over `subjects` subjects. Thousands of events in milliseconds, for relay tests and benches.
 */
export async function writeOutboxEvents(pool: pg.Pool, count: number, options: { firstN: number; subjects: number }): Promise<string[]> {
  const rows = Array.from({ length: count }, (_, i) => {
    const n = options.firstN + i;
    return { id: uuidv7(), subject: `user:u${n % options.subjects}`, n };
  });
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
    await client.query(
      `INSERT INTO events (id, type, occurred_at, actor, subject, data)
       SELECT id, 'user.updated', now(), 'client:bench', subject, jsonb_build_object('n', n) FROM unnest($1::uuid[], $2::text[], $3::int[]) AS t(id, subject, n)`,
      [rows.map((r) => r.id), rows.map((r) => r.subject), rows.map((r) => r.n)],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return rows.map((r) => r.id);
}

/** Waits until the named relays have started (a relay begins at the end of the outbox when it first runs). */
export async function relaysStarted(pool: pg.Pool, names: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM relay_cursors WHERE name = ANY($1)', [names]);
    if (rows[0].n === names.length) return;
    if (Date.now() > deadline) throw new Error(`relays ${names.join(', ')} did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
