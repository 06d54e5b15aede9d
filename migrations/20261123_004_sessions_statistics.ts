import type { Knex } from 'knex';

/**
 * Where each grant was created (for the sessions/devices view), hourly token issuance counts per
 * client (for statistics), indexes for filtering the audit log by actor and target prefix, and
 * one for looking up users by resource role.
 */
export async function up(knex: Knex): Promise<void> {
  // Written once at consent; rows whose grant has ended are swept with the other orphans.
  await knex.schema.createTable('grant_origins', (t) => {
    t.text('grant_id').primary();
    t.text('account_id').notNullable();
    t.text('client_id').notNullable();
    t.text('ip');
    t.text('user_agent');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['account_id']);
  });

  // Counted in memory and added here every few seconds: one upsert per client and hour, never one write per token.
  await knex.schema.createTable('token_issuance', (t) => {
    t.text('client_id').notNullable();
    t.timestamp('hour', { useTz: true }).notNullable();
    t.bigInteger('count').notNullable().defaultTo(0);
    t.primary(['client_id', 'hour']);
    t.index(['hour']);
  });

  // text_pattern_ops lets `target LIKE 'user:abc%'` use the index whatever the collation.
  await knex.raw('CREATE INDEX audit_log_target_prefix ON audit_log (target text_pattern_ops)');
  await knex.raw('CREATE INDEX audit_log_actor ON audit_log (actor)');
  // "Every active agent of lab X" (round-robin assignment) starts from the role, not the principal.
  await knex.raw('CREATE INDEX resource_roles_by_role ON resource_roles (resource_uri, role, principal_type)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS resource_roles_by_role');
  await knex.raw('DROP INDEX IF EXISTS audit_log_actor');
  await knex.raw('DROP INDEX IF EXISTS audit_log_target_prefix');
  await knex.schema.dropTableIfExists('token_issuance');
  await knex.schema.dropTableIfExists('grant_origins');
}
