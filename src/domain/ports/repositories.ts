import type { AuditRepository } from './audit-repository.js';
import type { BackchannelLogoutQueue } from './backchannel-logout-queue.js';
import type { ClientRepository } from './client-repository.js';
import type { EventRepository } from './event-repository.js';
import type { EmailTokenRepository } from './email-token-repository.js';
import type { FactorRepository } from './factor-repository.js';
import type { GrantOriginRepository } from './grant-origin-repository.js';
import type { LabRepository } from './lab-repository.js';
import type { PayloadRepository } from './payload-repository.js';
import type { ResourceRepository } from './resource-repository.js';
import type { RevocationRepository } from './revocation-repository.js';
import type { StatisticsRepository } from './statistics-repository.js';
import type { TenancyRepository } from './tenancy-repository.js';
import type { TokenCountRepository } from './token-count-repository.js';
import type { UserRepository } from './user-repository.js';
import type { WebhookRepository } from './webhook-repository.js';
import type { SsfRepository } from './ssf-repository.js';

/** Every repository over one connection (or one transaction). */
export interface Repositories {
  users: UserRepository;
  tenancy: TenancyRepository;
  labs: LabRepository;
  resources: ResourceRepository;
  clients: ClientRepository;
  payloads: PayloadRepository;
  revocations: RevocationRepository;
  audit: AuditRepository;
  grantOrigins: GrantOriginRepository;
  tokenCounts: TokenCountRepository;
  statistics: StatisticsRepository;
  /** The transactional outbox. */
  events: EventRepository;
  webhooks: WebhookRepository;
  /** Shared Signals streams and their SETs. */
  ssf: SsfRepository;
  emailTokens: EmailTokenRepository;
  /** Second factors and recovery codes. */
  factors: FactorRepository;
  /** Back-channel logout deliveries waiting to be sent or retried. */
  backchannelLogouts: BackchannelLogoutQueue;
}

/**
 * Runs `work` in one transaction over repositories bound to it: everything commits or nothing
 * does. A thrown error rolls back and propagates. `nested` runs work inside this transaction
 * (a savepoint: its failure undoes only its own part unless the error propagates).
 */
export type Transaction = <T>(work: (repos: Repositories, nested: Transaction) => Promise<T>) => Promise<T>;
