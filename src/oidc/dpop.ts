import { createHash, hkdfSync } from 'node:crypto';

import type Provider from 'oidc-provider';
import type { AsymmetricSigningAlgorithm, Configuration } from 'oidc-provider';

import { StorageUnavailableError } from '../domain/errors.js';
import type { Store } from '../domain/ports/store.js';
import { TemporarilyUnavailable } from './errors.js';

/**
 * Algorithms a DPoP proof may be signed with: asymmetric only (RFC 9449 §4.2), the same family
 * Gatehouse accepts for client assertions plus EdDSA, which browsers and CLIs commonly use.
 */
export const DPOP_SIGNING_ALGS: AsymmetricSigningAlgorithm[] = ['ES256', 'Ed25519', 'PS256', 'RS256'];

type DPoPFeature = NonNullable<NonNullable<Configuration['features']>['dPoP']>;

/**
 * The 32-byte key oidc-provider derives DPoP nonces from. Every node must hold the same one, or a
 * nonce handed out by one node is refused by the next: production configures it
 * (GATEHOUSE_DPOP_NONCE_SECRET); development derives it from the first cookie key, which is shared
 * the same way. HKDF keeps the two secrets' uses apart.
 */
export function dpopNonceKey(configured: string | undefined, cookieKeys: readonly string[]): Buffer {
  const secret = configured ?? cookieKeys[0];
  if (!secret) throw new Error('no secret to derive the DPoP nonce key from');
  return Buffer.from(hkdfSync('sha256', secret, '', 'gatehouse dpop nonce', 32));
}

/**
 * oidc-provider's DPoP feature, set explicitly rather than left to its defaults. Nonces are always
 * offered (a DPoP-Nonce header on token and userinfo responses); `requireNonce` makes them
 * mandatory. Replay detection stays on and is made atomic by {@link makeReplayDetectionAtomic}.
 */
export function dpopFeature(options: { nonceKey: Buffer; requireNonce: boolean }): DPoPFeature {
  return {
    enabled: true,
    nonceSecret: options.nonceKey,
    requireNonce: () => options.requireNonce,
    allowReplay: false,
  };
}

/**
 * oidc-provider's `ReplayDetection.unique` finds, then saves: two nodes handed the same proof at
 * the same moment could both find nothing and both accept it. One atomic claim in the shared store
 * (Redis `SET NX`, or the in-process twin) decides instead. The key is the model's own id scheme,
 * kept for as long as oidc-provider would keep the entry.
 */
export function makeReplayDetectionAtomic(provider: Provider, store: Store): void {
  provider.ReplayDetection.unique = async (iss: string, jti: string, exp: number): Promise<boolean> => {
    const id = createHash('sha256').update(`${iss}${jti}`).digest('base64url');
    try {
      return await store.claim(`oidc:ReplayDetection:${id}`, Math.max(exp - Date.now() / 1000, 1));
    } catch (error) {
      throw error instanceof StorageUnavailableError ? new TemporarilyUnavailable(error) : error;
    }
  };
}
