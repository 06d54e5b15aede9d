import type { Knex } from 'knex';

/**
 * Custom user attributes (validated against the schema in configuration, e.g. a `company_id`)
 * and, per resource, which user claims its access tokens carry (docs/TOKENS.md, "Claims").
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.jsonb('attributes').notNullable().defaultTo('{}');
  });
  await knex.schema.alterTable('resources', (t) => {
    t.jsonb('token_claims').notNullable().defaultTo('[]');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('resources', (t) => t.dropColumn('token_claims'));
  await knex.schema.alterTable('users', (t) => t.dropColumn('attributes'));
}
