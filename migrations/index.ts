import type { Knex } from 'knex';

import * as core from './20261123_001_core.js';
import * as grantLabs from './20261123_002_grant_labs.js';
import * as auditLog from './20261123_003_audit_log.js';
import * as sessionsStatistics from './20261123_004_sessions_statistics.js';
import * as hashClientSecrets from './20261123_005_hash_client_secrets.js';
import * as events from './20261129_006_events.js';
import * as secondFactors from './20261129_007_second_factors.js';
import * as emailTokens from './20261129_008_email_tokens.js';
import * as userAttributesTokenClaims from './20261129_010_user_attributes_token_claims.js';
import * as sharedSignals from './20261129_011_ssf.js';
import * as auditActionTime from './20261129_012_audit_action_time.js';
import * as backchannelLogouts from './20261129_014_backchannel_logouts.js';
import * as auditAppendFunction from './20261130_015_audit_append_function.js';

type Migration = { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> };

/** Every migration, in order. Listed explicitly so the build, not a directory scan, decides what runs. */
const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['20261123_001_core', core],
  ['20261123_002_grant_labs', grantLabs],
  ['20261123_003_audit_log', auditLog],
  ['20261123_004_sessions_statistics', sessionsStatistics],
  ['20261123_005_hash_client_secrets', hashClientSecrets],
  ['20261129_006_events', events],
  ['20261129_007_second_factors', secondFactors],
  ['20261129_008_email_tokens', emailTokens],
  ['20261129_010_user_attributes_token_claims', userAttributesTokenClaims],
  ['20261129_011_ssf', sharedSignals],
  ['20261129_012_audit_action_time', auditActionTime],
  ['20261129_014_backchannel_logouts', backchannelLogouts],
  ['20261130_015_audit_append_function', auditAppendFunction],
];

export const migrationSource: Knex.MigrationSource<readonly [string, Migration]> = {
  getMigrations: async () => [...migrations],
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
