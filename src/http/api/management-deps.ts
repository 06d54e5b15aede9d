import type { Config } from '../../config/load-config.js';
import type { AuditedChange } from '../../domain/management/audited-change.js';
import type { TokenIssuanceCounter } from '../../domain/management/token-issuance.js';
import type { AccessTerminator } from '../../domain/users/access-terminator.js';
import type { PasswordHasher } from '../../domain/users/password-hasher.js';
import type { GrantRevoker } from '../../oidc/grant-revoker.js';
import type { ClientMetadata } from '../../domain/ports/client-repository.js';
import type { Repositories } from '../../domain/ports/repositories.js';
import type { SessionDirectory } from '../../domain/ports/session-directory.js';
import type { Store } from '../../domain/ports/store.js';

/** Everything the management operations may use; built once in the composition root. */
export interface ManagementDeps {
  config: Config;
  /** Repositories over the shared connection pool (reads; writes go through `change`). */
  repos: Repositories;
  /** Runs a change and its audit row in one transaction. */
  change: AuditedChange;
  hasher: PasswordHasher;
  /** Ends a user's grants and sessions (block, delete). */
  access: AccessTerminator;
  grants: GrantRevoker;
  store: Store;
  sessions: SessionDirectory;
  /** oidc-provider's own check of client metadata (the provider serving now); throws InvalidClientMetadata. */
  validateClientMetadata: (metadata: ClientMetadata) => Promise<void>;
  /** Drops this process's cached copy of a client, so a change (e.g. a new secret) applies here at once. */
  forgetClient: (clientId: string) => void;
  /** Access tokens issued per client, counted in memory until flushed (statistics flush it before reading). */
  tokenIssuance: TokenIssuanceCounter;
}
