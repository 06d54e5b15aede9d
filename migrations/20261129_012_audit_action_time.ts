import type { Knex } from 'knex';

/**
 * The dashboard's sign-ins per client over time read `login.succeeded` rows of the last days:
 * an index on (action, at) finds them without walking every sign-in ever audited. It also
 * serves every lookup by action alone, so it replaces the index on action.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX audit_log_action_at ON audit_log (action, at)');
  await knex.raw('DROP INDEX IF EXISTS audit_log_action_index');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX IF NOT EXISTS audit_log_action_index ON audit_log (action)');
  await knex.raw('DROP INDEX IF EXISTS audit_log_action_at');
}
