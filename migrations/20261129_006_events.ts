import type { Knex } from 'knex';

/**
 * The transactional outbox and what relays it.
 * - `events`: one row per domain event, written in the transaction of the change and its audit
 *   row. `seq` is taken under the audit log's advisory lock, so it grows in commit order: a
 *   reader that has seen `seq = n` will never later find a committed event below n (stable cursors).
 * - `relay_cursors`: how far each relay (RabbitMQ, the webhook fan-out) has gone; a node leases a
 *   cursor row with `FOR UPDATE SKIP LOCKED`, so two nodes never relay the same events at once.
 * - `webhooks` and `webhook_deliveries`: subscriptions and one delivery row per event and
 *   subscription (the delivery log), leased the same way.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('events', (t) => {
    t.bigIncrements('seq');
    t.uuid('id').notNullable().unique();
    t.text('type').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.text('actor').notNullable();
    t.text('subject').notNullable();
    t.specificType('lab_ids', 'text[]').notNullable().defaultTo('{}');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.index(['type', 'seq']);
    t.index(['occurred_at']);
  });
  // The feed's lab filter (`? = ANY(lab_ids)`).
  await knex.raw('CREATE INDEX events_lab_ids ON events USING gin (lab_ids)');
  await knex.schema.createTable('relay_cursors', (t) => {
    t.text('name').primary();
    t.bigInteger('after_seq').notNullable().defaultTo(0);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('webhooks', (t) => {
    t.text('id').primary();
    t.text('url').notNullable();
    t.text('description');
    t.specificType('event_types', 'text[]').notNullable().defaultTo('{}');
    t.text('lab_id').references('id').inTable('labs').onDelete('CASCADE');
    t.text('secret').notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.text('disabled_reason');
    t.timestamp('failing_since', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.bigIncrements('id');
    t.text('webhook_id').notNullable().references('id').inTable('webhooks').onDelete('CASCADE');
    t.bigInteger('event_seq').notNullable().references('seq').inTable('events').onDelete('CASCADE');
    t.text('subject').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('leased_until', { useTz: true });
    t.integer('last_status');
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.unique(['webhook_id', 'event_seq']);
    t.index(['status', 'next_attempt_at']);
  });
  // What the claim of due deliveries reads (the oldest pending delivery per subscription and
  // subject): only pending rows, so the query stays fast however long the delivery log grows.
  await knex.raw("CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, subject, event_seq) WHERE status = 'pending'");
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.index(['webhook_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('webhook_deliveries');
  await knex.schema.dropTableIfExists('webhooks');
  await knex.schema.dropTableIfExists('relay_cursors');
  await knex.schema.dropTableIfExists('events');
}
