import { createHmac } from 'node:crypto';

import { FIRST_PARTY_PROPERTY } from '../client-metadata.js';
import { CLIENT_SECRET_HASHES_PROPERTY, hashClientSecret, unusableSecretPlaceholder } from '../clients/client-secret.js';
import type { ClientRepository } from '../ports/client-repository.js';

/** The account page's own OAuth client: reserved, created (or brought up to date) at every start. */
export const ACCOUNT_CLIENT_ID = 'gatehouse-account';

export const ACCOUNT_CALLBACK_PATH = '/account/callback';

/**
 * The account page's client secret, derived from a cookie key (HMAC with a fixed label), so every
 * node holding the same keys computes the same secret and none is stored or distributed.
 */
export function accountClientSecret(cookieKey: string): string {
  return createHmac('sha256', cookieKey).update('gatehouse:account-client-secret').digest('base64url');
}

/**
 * Registers the account page as a confidential first-party client of Gatehouse itself: code flow
 * with PKCE to Gatehouse's own /account/callback, `openid` only, no consent page. Its accepted
 * secrets are those derived from every configured cookie key, so a cookie-key rotation done as
 * cookies need it (add the new key second on every node, then make it first) never refuses a node.
 */
export async function ensureAccountClient(clients: Pick<ClientRepository, 'upsert'>, options: { issuer: string; cookieKeys: readonly string[]; now?: Date }): Promise<void> {
  const createdAt = (options.now ?? new Date()).toISOString();
  await clients.upsert({
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Your Gatehouse account',
    redirect_uris: [`${options.issuer}${ACCOUNT_CALLBACK_PATH}`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    scope: 'openid',
    token_endpoint_auth_method: 'client_secret_basic',
    client_secret: unusableSecretPlaceholder(),
    [CLIENT_SECRET_HASHES_PROPERTY]: [...new Set(options.cookieKeys)].map((key) => ({ hash: hashClientSecret(accountClientSecret(key)), createdAt })),
    [FIRST_PARTY_PROPERTY]: true,
  });
}
