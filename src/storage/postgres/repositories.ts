import type { Repositories, Transaction } from '../../domain/ports/repositories.js';
import { guardStorage, withDomainErrors } from '../domain-errors.js';
import { createAuditRepository } from './audit-repository.js';
import { createClientRepository } from './client-repository.js';
import type { Database } from './database.js';
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
export function createRepositories(db: Database): Repositories {
  return {
    users: withDomainErrors(createUserRepository(db)),
    tenancy: withDomainErrors(createTenancyRepository(db)),
    labs: withDomainErrors(createLabRepository(db)),
    resources: withDomainErrors(createResourceRepository(db)),
    clients: withDomainErrors(createClientRepository(db)),
    payloads: withDomainErrors(createOidcPayloadRepository(db)),
    revocations: withDomainErrors(createRevocationRepository(db)),
    audit: withDomainErrors(createAuditRepository(db)),
    grantOrigins: withDomainErrors(createGrantOriginRepository(db)),
    tokenCounts: withDomainErrors(createTokenCountRepository(db)),
    statistics: withDomainErrors(createStatisticsRepository(db)),
  };
}

/** The domain's Transaction port on knex: repositories bound to one database transaction. */
export function createTransaction(db: Database): Transaction {
  // knex runs a transaction started on a transaction as a savepoint.
  return (work) => guardStorage(() => db.transaction((trx) => work(createRepositories(trx), createTransaction(trx))));
}
