import type { Knex } from 'knex';

/**
 * One-time links sent by email (password reset, address verification). Only the SHA-256 of a
 * link's 256-bit token is kept, so the table cannot be used to reset anyone's password; a link is
 * used once (`used_at`), lives until `expires_at`, and dies with its user.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('email_tokens', (t) => {
    t.text('token_hash').primary();
    t.text('purpose').notNullable();
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('email').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'purpose']);
    t.index(['expires_at']);
  });
  await knex.raw("ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check CHECK (purpose IN ('password_reset', 'email_verification'))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('email_tokens');
}
