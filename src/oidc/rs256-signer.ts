import { createPrivateKey, sign, type KeyObject } from 'node:crypto';

import type { PrivateJwk } from './keys.js';

export interface Rs256Signer {
  readonly kid: string;
  /** A compact JWS of `payload`: header `{ alg: 'RS256', typ, kid }`, as oidc-provider writes it. */
  sign(payload: Record<string, unknown>, typ: string): Promise<string>;
}

/**
 * Signs with `node:crypto`'s callback `sign`, which runs on libuv's thread pool like WebCrypto
 * (what jose, and so oidc-provider, use) without WebCrypto's per-call key and algorithm
 * normalisation: about 280 µs of CPU per RS256 signature here against 320 µs
 * (bench/token-issuance.ts profiles; a 2048-bit key).
 */
export function createRs256Signer(jwk: PrivateJwk): Rs256Signer {
  const key: KeyObject = createPrivateKey({ key: jwk, format: 'jwk' });
  const headers = new Map<string, string>();
  const encodedHeader = (typ: string) => {
    let header = headers.get(typ);
    if (header === undefined) {
      header = Buffer.from(JSON.stringify({ alg: 'RS256', typ, kid: jwk.kid })).toString('base64url');
      // A handful of token types at most ('at+jwt', 'JWT', …): the map stays tiny.
      headers.set(typ, header);
    }
    return header;
  };
  return {
    kid: jwk.kid,
    sign(payload, typ) {
      const input = `${encodedHeader(typ)}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
      return new Promise((resolve, reject) => {
        sign('sha256', Buffer.from(input), key, (error, signature) => {
          if (error) reject(error);
          else resolve(`${input}.${signature.toString('base64url')}`);
        });
      });
    },
  };
}
