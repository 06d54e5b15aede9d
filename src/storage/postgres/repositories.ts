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

/** Every repository over one connection (or one transaction). */
export function createRepositories(db: Database) {
  return {
    users: createUserRepository(db),
    tenancy: createTenancyRepository(db),
    labs: createLabRepository(db),
    resources: createResourceRepository(db),
    clients: createClientRepository(db),
    payloads: createOidcPayloadRepository(db),
    revocations: createRevocationRepository(db),
    audit: createAuditRepository(db),
    grantOrigins: createGrantOriginRepository(db),
    tokenCounts: createTokenCountRepository(db),
    statistics: createStatisticsRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
