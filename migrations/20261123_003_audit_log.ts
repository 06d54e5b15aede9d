import type { Knex } from 'knex';

/**
 * Append-only audit log. Each row's hash covers its content and the previous row's hash, so
 * editing or deleting a row breaks the chain from there on (`gatehouse audit verify`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.timestamp('at', { useTz: true }).notNullable();
    t.text('actor').notNullable();
    t.text('action').notNullable();
    t.text('target');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.text('request_id');
    t.text('ip');
    t.text('prev_hash').notNullable();
    t.text('hash').notNullable();
    t.index(['action']);
    t.index(['at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('audit_log');
}
