import { randomBytes } from 'node:crypto';

import type { Adapter } from 'oidc-provider';

import type { Config } from '../config/load-config.js';
import type { MetadataValidator } from '../domain/management/client-management.js';
import { createLabAccess } from '../domain/tenancy/lab-access.js';
import { createViews } from '../interactions/views.js';
import type { Repositories } from '../storage/postgres/repositories.js';
import { createAccountClaims } from './account-claims.js';
import { generateSigningKey } from './keys.js';
import { createLabPolicy } from './lab-policy.js';
import { createProvider } from './provider.js';

/**
 * oidc-provider's validation of client metadata for a process that serves no provider (the
 * CLI), so it accepts exactly what the server will load. The check depends on the provider's
 * configuration and on its keys (the signing algorithms a client may choose are those of the
 * keys), so it runs on a provider built with the server's configuration that serves nothing:
 * its key is throw-away and its adapter stores nothing.
 */
export async function createClientMetadataValidator(config: Config, repos: Repositories): Promise<MetadataValidator> {
  const labs = createLabAccess({ tenancy: repos.tenancy });
  const provider = createProvider({
    config,
    adapter: NoStorageAdapter,
    keys: [await generateSigningKey()],
    cookieKeys: [randomBytes(32).toString('base64url')],
    accounts: createAccountClaims({ users: repos.users, labs }),
    resources: repos.resources,
    views: createViews(),
    labPolicy: createLabPolicy(labs),
  });
  return (metadata) => provider.Client.validate(metadata);
}

class NoStorageAdapter implements Adapter {
  constructor(readonly name: string) {}
  async upsert(): Promise<void> { throw new Error('the validating provider stores nothing'); }
  async find(): Promise<undefined> { return undefined; }
  async findByUserCode(): Promise<undefined> { return undefined; }
  async findByUid(): Promise<undefined> { return undefined; }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}
