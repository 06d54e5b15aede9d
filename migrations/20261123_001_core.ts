import type { Knex } from 'knex';

/** Core schema: identities, tenancy, systems, clients, and the durable half of OAuth state. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.text('id').primary();
    t.text('username').notNullable();
    t.text('email');
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.text('given_name');
    t.text('family_name');
    t.text('password_hash');
    t.text('status').notNullable().defaultTo('active');
    t.text('blocked_reason');
    t.boolean('is_admin').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE UNIQUE INDEX users_username_lower ON users (lower(username))');
  await knex.raw('CREATE UNIQUE INDEX users_email_lower ON users (lower(email))');
  await knex.raw("ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN ('active', 'blocked'))");

  await knex.schema.createTable('labs', (t) => {
    t.text('id').primary();
    t.text('name').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw("ALTER TABLE labs ADD CONSTRAINT labs_status_check CHECK (status IN ('active', 'suspended'))");

  await knex.schema.createTable('memberships', (t) => {
    t.text('lab_id').notNullable().references('labs.id').onDelete('CASCADE');
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('role').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['lab_id', 'user_id']);
    t.index(['user_id']);
  });
  await knex.raw("ALTER TABLE memberships ADD CONSTRAINT memberships_status_check CHECK (status IN ('active', 'invited', 'suspended'))");

  await knex.schema.createTable('resources', (t) => {
    t.text('uri').primary();
    t.text('name').notNullable();
    t.integer('access_token_ttl').notNullable().defaultTo(300);
    t.jsonb('scopes').notNullable().defaultTo('[]');
    t.jsonb('roles').notNullable().defaultTo('[]');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // A role a principal (user, or service client) holds on a resource, optionally only in one lab.
  await knex.schema.createTable('resource_roles', (t) => {
    t.bigIncrements('id');
    t.text('principal_type').notNullable();
    t.text('principal_id').notNullable();
    t.text('resource_uri').notNullable().references('resources.uri').onDelete('CASCADE');
    t.text('role').notNullable();
    t.text('lab_id').references('labs.id').onDelete('CASCADE');
    t.index(['principal_type', 'principal_id']);
  });
  await knex.raw(
    "CREATE UNIQUE INDEX resource_roles_unique ON resource_roles (principal_type, principal_id, resource_uri, role, coalesce(lab_id, ''))",
  );

  await knex.schema.createTable('clients', (t) => {
    t.text('client_id').primary();
    t.jsonb('metadata').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // oidc-provider models that must survive a Redis flush or restart: grants and the tokens
  // issued from them. `consumed_at` is set once, atomically, which is what makes refresh-token
  // rotation race-free across processes.
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.text('kind').notNullable();
    t.text('id').notNullable();
    t.jsonb('payload').notNullable();
    t.text('grant_id');
    t.text('account_id');
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.primary(['kind', 'id']);
    t.index(['grant_id']);
    t.index(['account_id']);
    t.index(['expires_at']);
  });

  // The durable revocation list: JWT access tokens (by jti) and grants whose JWTs must be
  // reported inactive until they expire. Redis holds a copy as the fast path.
  await knex.schema.createTable('revocations', (t) => {
    t.text('kind').notNullable();
    t.text('value').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['kind', 'value']);
    t.index(['expires_at']);
  });
  await knex.raw("ALTER TABLE revocations ADD CONSTRAINT revocations_kind_check CHECK (kind IN ('jti', 'grant'))");
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['revocations', 'oidc_payloads', 'clients', 'resource_roles', 'resources', 'memberships', 'labs', 'users']) {
    await knex.schema.dropTableIfExists(table);
  }
}
