import type { Knex } from 'knex';

/**
 * Appends to the audit chain in one statement: `audit_append(entries, events)` takes the chain's
 * advisory lock, reads the last hash, inserts each entry linked to the one before it and then
 * the events, all in the caller's transaction (its own when called alone). The client sent
 * BEGIN, the lock, the read of the last hash, the insert and COMMIT as five round trips, one
 * after the other, for every sign-in's row; now it is one.
 *
 * Each statement of a VOLATILE PL/pgSQL function takes a new snapshot under READ COMMITTED, so
 * the read of the last hash, after the lock, sees every row committed before the lock was had.
 * The hash is the one `chainHash` computes (src/domain/audit/audit-chain.ts): SHA-256 over the
 * previous hash, a newline and the entry's canonical JSON, which the client sends with each
 * entry (`canonical`); the link needs only the previous hash, which is known here. Nodes that
 * still append the old way take the same lock, so both kinds can run side by side.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION audit_append(entries jsonb, new_events jsonb) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      prev text;
      entry jsonb;
    BEGIN
      PERFORM pg_advisory_xact_lock(7314159);
      SELECT hash INTO prev FROM audit_log ORDER BY id DESC LIMIT 1;
      prev := coalesce(prev, repeat('0', 64));
      FOR entry IN SELECT e.value FROM jsonb_array_elements(entries) WITH ORDINALITY AS e(value, n) ORDER BY e.n LOOP
        INSERT INTO audit_log (at, actor, action, target, details, request_id, ip, prev_hash, hash)
        VALUES ((entry->>'at')::timestamptz, entry->>'actor', entry->>'action', entry->>'target', entry->'details',
                entry->>'request_id', entry->>'ip', prev,
                encode(sha256(convert_to(prev || E'\\n' || (entry->>'canonical'), 'UTF8')), 'hex'))
        RETURNING hash INTO prev;
      END LOOP;
      INSERT INTO events (id, type, occurred_at, actor, subject, lab_ids, data)
      SELECT e.id, e.type, e.occurred_at, e.actor, e.subject, e.lab_ids, e.data
      FROM ROWS FROM (jsonb_to_recordset(new_events) AS (id uuid, type text, occurred_at timestamptz, actor text, subject text, lab_ids text[], data jsonb))
        WITH ORDINALITY AS e(id, type, occurred_at, actor, subject, lab_ids, data, n)
      ORDER BY e.n;
    END
    $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION IF EXISTS audit_append(jsonb, jsonb)');
}
