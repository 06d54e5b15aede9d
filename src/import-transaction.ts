import type { Config } from './config/load-config.js';
import type { ImportDeps } from './domain/import/apply-import.js';
import { createAuditedChange } from './domain/management/audited-change.js';
import { createClientManagement, type MetadataValidator } from './domain/management/client-management.js';
import { createLabManagement } from './domain/management/lab-management.js';
import { createResourceManagement } from './domain/management/resource-management.js';
import { createRoleManagement } from './domain/management/role-management.js';
import { createUserManagement } from './domain/management/user-management.js';
import type { PasswordHasher } from './domain/users/password-hasher.js';
import { createPasswordPolicy } from './domain/users/password-policy.js';
import { createAccessTerminator } from './oidc/access-terminator.js';
import { createGrantRevoker } from './oidc/grant-revoker.js';
import { createRevocationList } from './oidc/revocation-list.js';
import type { Database } from './storage/postgres/database.js';
import { createRepositories } from './storage/postgres/repositories.js';
import type { Store } from './storage/store.js';

export interface ImportTransactionDeps {
  db: Database;
  store: Store;
  config: Pick<Config, 'passwordMinLength' | 'clientSecretOverlapSeconds' | 'apiResource'>;
  hasher: PasswordHasher;
  /** The provider's check of client metadata, so imported clients pass exactly what the API's do. */
  validateClientMetadata: MetadataValidator;
  forgetClient?: (clientId: string) => void;
}

/**
 * The management use cases over one transaction, for the import: each use case's change (with
 * its audit row) is a savepoint in it, so a document applies all or nothing. Wired here, with
 * the composition root's and the CLI's parts, because the domain's import knows no storage.
 */
export function createImportTransaction(deps: ImportTransactionDeps): ImportDeps['inOneTransaction'] {
  const passwordPolicy = createPasswordPolicy({ minLength: deps.config.passwordMinLength });
  return (work) => deps.db.transaction(async (trx) => {
    const repos = createRepositories(trx);
    const change = createAuditedChange(trx);
    const grants = createGrantRevoker({ payloads: repos.payloads, revocations: createRevocationList({ repository: repos.revocations, store: deps.store }) });
    return work({
      users: createUserManagement({
        repos, change, hasher: deps.hasher, passwordPolicy, access: createAccessTerminator({ payloads: repos.payloads, grants, store: deps.store }),
      }),
      labs: createLabManagement({ labs: repos.labs, change }),
      resources: createResourceManagement({ resources: repos.resources, clients: repos.clients, change, apiResource: deps.config.apiResource }),
      clients: createClientManagement({
        clients: repos.clients, resources: repos.resources, change, secretOverlapSeconds: deps.config.clientSecretOverlapSeconds,
        validateMetadata: deps.validateClientMetadata, revokeGrant: (grantId) => grants.revokeGrant(grantId),
        ...(deps.forgetClient ? { forgetClient: deps.forgetClient } : {}),
      }),
      roles: createRoleManagement({ repos, change }),
    });
  });
}
