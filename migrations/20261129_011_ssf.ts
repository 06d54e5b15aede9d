import type { Knex } from 'knex';

/**
 * Shared Signals (OpenID SSF 1.0): streams a receiver configured, and the Security Event Tokens
 * made for each from the outbox — pushed (RFC 8935, retried) or kept until polled and
 * acknowledged (RFC 8936).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ssf_streams', (t) => {
    t.text('id').primary();
    t.text('client_id').notNullable();
    t.specificType('events_requested', 'text[]').notNullable().defaultTo('{}');
    t.text('delivery_method').notNullable();
    t.text('endpoint_url');
    t.text('authorization_header');
    t.text('description');
    t.text('status').notNullable().defaultTo('enabled');
    t.text('reason');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['client_id']);
  });
  await knex.schema.createTable('ssf_sets', (t) => {
    t.bigIncrements('id');
    t.text('stream_id').notNullable().references('id').inTable('ssf_streams').onDelete('CASCADE');
    t.text('jti').notNullable();
    t.text('token').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('leased_until', { useTz: true });
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['stream_id', 'jti']);
    t.index(['stream_id', 'status', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('ssf_sets');
  await knex.schema.dropTableIfExists('ssf_streams');
}
