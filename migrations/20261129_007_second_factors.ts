import type { Knex } from 'knex';

/**
 * Second factors: TOTP authenticators (secret encrypted, last accepted time step for replay
 * refusal) and WebAuthn credentials (passkeys) in one table, and single-use recovery codes
 * stored as SHA-256 hashes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_factors', (t) => {
    t.text('id').primary();
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.text('name').notNullable();
    // TOTP: AES-256-GCM sealed secret, and the last time step accepted (a code is good once).
    t.text('totp_secret');
    t.bigInteger('totp_last_step');
    // WebAuthn: credential id (base64url), COSE public key (base64url), signature counter.
    t.text('credential_id');
    t.text('public_key');
    t.bigInteger('sign_count');
    t.jsonb('transports');
    t.boolean('backed_up');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.index(['user_id']);
  });
  await knex.raw("ALTER TABLE user_factors ADD CONSTRAINT user_factors_kind_check CHECK (kind IN ('totp', 'passkey'))");
  await knex.raw('CREATE UNIQUE INDEX user_factors_credential_id ON user_factors (credential_id) WHERE credential_id IS NOT NULL');

  await knex.schema.createTable('recovery_codes', (t) => {
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('code_hash').notNullable();
    t.timestamp('used_at', { useTz: true });
    t.primary(['user_id', 'code_hash']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('recovery_codes');
  await knex.schema.dropTable('user_factors');
}
