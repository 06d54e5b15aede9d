import type { Knex } from 'knex';

/**
 * Back-channel logout deliveries (OpenID Connect Back-Channel Logout 1.0) waiting to be sent or
 * retried: stored, so a restart or a crash of the node that ended the session loses none, and any
 * node takes them over (leased per row). A row is deleted once delivered or given up.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('backchannel_logouts', (t) => {
    t.bigIncrements('id');
    t.text('client_id').notNullable();
    t.text('account_id').notNullable();
    t.text('sid');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('leased_until', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['next_attempt_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('backchannel_logouts');
}
