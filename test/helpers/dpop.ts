import { createHash, randomUUID } from 'node:crypto';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

import { basic, readJsonBody } from './harness.js';

/** A client's DPoP key: the pair, its public and private JWKs, and its thumbprint (`cnf.jkt`). */
export interface DpopKey { privateKey: CryptoKey; publicKey: CryptoKey; publicJwk: JWK; privateJwk: JWK; jkt: string }

export async function newDpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicKey, publicJwk, privateJwk: await exportJWK(privateKey), jkt: await calculateJwkThumbprint(publicJwk) };
}

export interface ProofFields { htm?: string; iat?: number; jti?: string; nonce?: string; accessToken?: string; alg?: string; jwk?: JWK }

/** A DPoP proof JWT for `htu`, written by hand so that tests can make it wrong on purpose. */
export async function dpopProof(key: DpopKey, htu: string, fields: ProofFields = {}): Promise<string> {
  const payload: Record<string, unknown> = { htm: fields.htm ?? 'POST', htu, iat: fields.iat ?? Math.floor(Date.now() / 1000), jti: fields.jti ?? randomUUID() };
  if (fields.nonce) payload.nonce = fields.nonce;
  if (fields.accessToken) payload.ath = createHash('sha256').update(fields.accessToken).digest('base64url');
  return new SignJWT(payload).setProtectedHeader({ alg: fields.alg ?? 'ES256', typ: 'dpop+jwt', jwk: fields.jwk ?? key.publicJwk }).sign(key.privateKey);
}

/** A token request with DPoP header(s), as a service client would send it. */
export async function dpopTokenRequest(url: string, form: Record<string, string>, client: { id: string; secret: string }, proofs: string[]) {
  const headers: Array<[string, string]> = [
    ['content-type', 'application/x-www-form-urlencoded'], ['accept', 'application/json'], ['authorization', basic(client.id, client.secret)],
    ...proofs.map((p): [string, string] => ['dpop', p]),
  ];
  const response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(form) });
  return { status: response.status, body: await readJsonBody(response), headers: response.headers };
}
