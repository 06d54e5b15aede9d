import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

import { isoCBOR } from '@simplewebauthn/server/helpers';

/** What a forged response gets wrong; each defaults to the real ceremony's value. */
export interface Forgery { challenge?: string; origin?: string; rpId?: string; counter?: number; type?: string }

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();
const b64url = (data: Uint8Array | string) => Buffer.from(data).toString('base64url');
const counterBytes = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };

/** User present and verified: a passkey with a PIN or biometric. */
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

/**
 * A WebAuthn authenticator in the test process (ES256, `none` attestation), so a test can sign
 * what a browser never would: another challenge, origin or RP ID, or a signature counter that
 * goes backwards (a cloned key). Chromium's virtual authenticator proves the real path; this one
 * proves the refusals. Holds one discoverable credential.
 */
export class SoftwareAuthenticator {
  readonly credentialId = b64url(randomBytes(32));
  private readonly keys: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  counter = 0;

  constructor(private readonly rp: { id: string; origin: string }) {}

  private clientData(type: string, challenge: string, forgery: Forgery): Buffer {
    return Buffer.from(JSON.stringify({ type: forgery.type ?? type, challenge: forgery.challenge ?? challenge, origin: forgery.origin ?? this.rp.origin, crossOrigin: false }));
  }

  private coseKey(): Uint8Array {
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    return isoCBOR.encode(new Map<number, number | Uint8Array>([
      [1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')],
    ]));
  }

  /** The response to registration options (`navigator.credentials.create`). */
  register(options: { challenge: string }, forgery: Forgery = {}) {
    const id = Buffer.from(this.credentialId, 'base64url');
    const authData = Buffer.concat([
      sha256(forgery.rpId ?? this.rp.id), Buffer.from([UP | UV | AT]), counterBytes(forgery.counter ?? this.counter),
      Buffer.alloc(16), Buffer.from([id.length >> 8, id.length & 0xff]), id, this.coseKey(),
    ]);
    const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]) as never);
    return {
      id: this.credentialId, rawId: this.credentialId, type: 'public-key', clientExtensionResults: {}, authenticatorAttachment: 'platform',
      response: { clientDataJSON: b64url(this.clientData('webauthn.create', options.challenge, forgery)), attestationObject: b64url(attestationObject), transports: ['internal'] },
    };
  }

  /** The response to authentication options (`navigator.credentials.get`); the counter advances unless the forgery names one. */
  assert(options: { challenge: string }, forgery: Forgery = {}) {
    const counter = forgery.counter ?? (this.counter += 1);
    const authData = Buffer.concat([sha256(forgery.rpId ?? this.rp.id), Buffer.from([UP | UV]), counterBytes(counter)]);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, forgery);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.keys.privateKey);
    return {
      id: this.credentialId, rawId: this.credentialId, type: 'public-key', clientExtensionResults: {}, authenticatorAttachment: 'platform',
      response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authData), signature: b64url(signature) },
    };
  }
}
