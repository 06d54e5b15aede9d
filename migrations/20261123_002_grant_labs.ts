import type { Knex } from 'knex';

/** The lab a grant currently acts in: chosen at login (parameter or picker), switched by refresh. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('grant_labs', (t) => {
    t.text('grant_id').primary();
    t.text('lab_id').notNullable().references('labs.id').onDelete('CASCADE');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('grant_labs');
}
