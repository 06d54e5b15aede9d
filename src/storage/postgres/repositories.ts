import type { LeaseRelayCursor } from '../../domain/ports/event-repository.js';
import type { Repositories, Transaction } from '../../domain/ports/repositories.js';
import { guardStorage, withDomainErrors, type StorageObserver } from '../domain-errors.js';
import { createAuditRepository } from './audit-repository.js';
import { createBackchannelLogoutRepository } from './backchannel-logout-repository.js';
import { createClientRepository } from './client-repository.js';
import type { Database } from './database.js';
import { createEventRepository } from './event-repository.js';
import { createWebhookRepository } from './webhook-repository.js';
import { createSsfRepository } from './ssf-repository.js';
import { createEmailTokenRepository } from './email-token-repository.js';
import { createFactorRepository } from './factor-repository.js';
import { createGrantOriginRepository } from './grant-origin-repository.js';
import { createLabRepository } from './lab-repository.js';
import { createOidcPayloadRepository } from './oidc-payload-repository.js';
import { createResourceRepository } from './resource-repository.js';
import { createRevocationRepository } from './revocation-repository.js';
import { createStatisticsRepository } from './statistics-repository.js';
import { createTenancyRepository } from './tenancy-repository.js';
import { createTokenCountRepository } from './token-count-repository.js';
import { createUserRepository } from './user-repository.js';

/** Every repository over one connection (or one transaction), throwing the domain's errors. */
export function createRepositories(db: Database, observe?: StorageObserver): Repositories {
  const wrap = <T extends object>(name: string, repository: T) => withDomainErrors(repository, { backend: 'postgres', name, observe });
  return {
    users: wrap('users', createUserRepository(db)),
    tenancy: wrap('tenancy', createTenancyRepository(db)),
    labs: wrap('labs', createLabRepository(db)),
    resources: wrap('resources', createResourceRepository(db)),
    clients: wrap('clients', createClientRepository(db)),
    payloads: wrap('payloads', createOidcPayloadRepository(db)),
    revocations: wrap('revocations', createRevocationRepository(db)),
    audit: wrap('audit', createAuditRepository(db)),
    grantOrigins: wrap('grantOrigins', createGrantOriginRepository(db)),
    tokenCounts: wrap('tokenCounts', createTokenCountRepository(db)),
    statistics: wrap('statistics', createStatisticsRepository(db)),
    events: wrap('events', createEventRepository(db)),
    webhooks: wrap('webhooks', createWebhookRepository(db)),
    ssf: wrap('ssf', createSsfRepository(db)),
    emailTokens: wrap('emailTokens', createEmailTokenRepository(db)),
    factors: wrap('factors', createFactorRepository(db)),
    backchannelLogouts: wrap('backchannelLogouts', createBackchannelLogoutRepository(db)),
  };
}

/** The domain's Transaction port on knex: repositories bound to one database transaction. */
export function createTransaction(db: Database, observe?: StorageObserver): Transaction {
  // knex runs a transaction started on a transaction as a savepoint.
  return (work) => guardStorage(() => db.transaction((trx) => work(createRepositories(trx, observe), createTransaction(trx, observe))));
}

/**
 * The relay cursors' lease on Postgres: the cursor row locked `FOR UPDATE SKIP LOCKED` in one
 * transaction for the work, which reads and writes through that transaction. A relay started
 * for the first time begins at the present, not with the whole history.
 */
export function createRelayCursorLease(db: Database, observe?: StorageObserver): LeaseRelayCursor {
  return (name, work) => guardStorage(async () => {
    await db.raw('INSERT INTO relay_cursors (name, after_seq) SELECT ?, coalesce(max(seq), 0) FROM events ON CONFLICT (name) DO NOTHING', [name]);
    return db.transaction(async (trx) => {
      const row = await trx('relay_cursors').select('after_seq').where({ name }).forUpdate().skipLocked().first() as { after_seq: string | number } | undefined;
      if (!row) return undefined;
      const { afterSeq, result } = await work(Number(row.after_seq), createRepositories(trx, observe));
      if (afterSeq !== Number(row.after_seq)) await trx('relay_cursors').where({ name }).update({ after_seq: afterSeq, updated_at: trx.fn.now() });
      return result;
    });
  });
}

/**
 * How far behind each relay is: the age in seconds of the oldest event past its cursor (0 when
 * it has caught up). Relays not started yet are absent.
 */
export function createRelayLag(db: Database) {
  return async (names: readonly string[]): Promise<Map<string, number>> => {
    const rows = await db('relay_cursors as r').whereIn('r.name', [...names]).select('r.name', db.raw(
      'coalesce(extract(epoch FROM now() - (SELECT e.occurred_at FROM events e WHERE e.seq > r.after_seq ORDER BY e.seq LIMIT 1)), 0) AS lag',
    )) as Array<{ name: string; lag: string | number }>;
    return new Map(rows.map((r) => [r.name, Math.max(0, Number(r.lag))]));
  };
}
