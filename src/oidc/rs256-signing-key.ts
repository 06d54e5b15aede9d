import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';

import { ExternalSigningKey } from 'oidc-provider';

import type { PrivateJwk } from './keys.js';

/**
 * One of Gatehouse's RS256 signing keys, as oidc-provider's `ExternalSigningKey`, so every JWT
 * Gatehouse mints — oidc-provider's (ID tokens, access tokens) and its own (the client_credentials
 * shortcut) — is signed the same way: `node:crypto`'s callback `sign`, which runs on libuv's thread
 * pool like WebCrypto (what jose, and so oidc-provider, would use) without WebCrypto's per-call
 * key and algorithm normalisation and jose's header handling: about 280 µs of CPU per 2048-bit
 * signature here against 320 µs.
 */
export class Rs256SigningKey extends ExternalSigningKey {
  readonly #kid: string;
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  /** Encoded protected headers by `typ`: a handful at most ('at+jwt', 'secevent+jwt'). */
  readonly #headers = new Map<string, string>();

  constructor(jwk: PrivateJwk) {
    super();
    this.#privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    this.#publicKey = createPublicKey(this.#privateKey);
    this.#kid = jwk.kid;
  }

  override get kid(): string {
    return this.#kid;
  }

  override get alg(): string {
    return 'RS256';
  }

  override keyObject(): KeyObject {
    return this.#publicKey;
  }

  /** The RS256 signature of `data` (oidc-provider assembles its JWS around it). */
  override sign(data: Uint8Array): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      sign('sha256', data, this.#privateKey, (error, signature) => (error ? reject(error) : resolve(signature)));
    });
  }

  /** A compact JWS of `payload` with the header oidc-provider writes: `{ alg: 'RS256', typ, kid }`. */
  async signJwt(payload: Record<string, unknown>, typ: string): Promise<string> {
    let header = this.#headers.get(typ);
    if (header === undefined) {
      header = Buffer.from(JSON.stringify({ alg: 'RS256', typ, kid: this.kid })).toString('base64url');
      this.#headers.set(typ, header);
    }
    const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${input}.${(await this.sign(Buffer.from(input))).toString('base64url')}`;
  }
}
