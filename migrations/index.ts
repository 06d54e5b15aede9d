import type { Knex } from 'knex';

import * as core from './20261123_001_core.js';

type Migration = { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> };

/** Every migration, in order. Listed explicitly so the build, not a directory scan, decides what runs. */
const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['20261123_001_core', core],
];

export const migrationSource: Knex.MigrationSource<readonly [string, Migration]> = {
  getMigrations: async () => [...migrations],
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
