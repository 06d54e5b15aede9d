import type { ApiOperation } from '../api-operation.js';
import type { Services } from '../../../services.js';
import { createAuditOperations } from './audit-operations.js';
import { createClientOperations } from './client-operations.js';
import { createInitialAccessTokenOperations } from './initial-access-token-operations.js';
import { createLabOperations } from './lab-operations.js';
import { createResourceOperations } from './resource-operations.js';
import { createRoleOperations } from './role-operations.js';
import { createSessionOperations } from './session-operations.js';
import { createStatisticsOperations } from './statistics-operations.js';
import { createUserOperations } from './user-operations.js';
import { createEventOperations } from './event-operations.js';
import { createWebhookOperations } from './webhook-operations.js';
import { createSsfOperations } from './ssf-operations.js';
import { createSigningKeyOperations } from './signing-key-operations.js';
import type { SharedSignals } from '../../../domain/ssf/shared-signals.js';

/** Every operation of /api/v1, in the order the OpenAPI document lists them. */
export function createManagementOperations(deps: Services, options: { eventsPollMs: number; sharedSignals?: SharedSignals }): ApiOperation[] {
  return [
    ...createUserOperations(deps),
    ...createRoleOperations(deps),
    ...createLabOperations(deps),
    ...createResourceOperations(deps),
    ...createClientOperations(deps),
    ...createInitialAccessTokenOperations(deps),
    ...createSessionOperations(deps),
    ...createStatisticsOperations(deps),
    ...createAuditOperations(deps),
    ...createSigningKeyOperations(deps),
    ...createEventOperations(deps, { pollMs: options.eventsPollMs }),
    ...createWebhookOperations(deps),
    ...(options.sharedSignals ? createSsfOperations(options.sharedSignals, { pollWaitMs: 5000 }) : []),
  ];
}
