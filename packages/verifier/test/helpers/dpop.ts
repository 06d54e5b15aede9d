import { createHash, randomUUID } from 'node:crypto';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

import { b64, now } from './fake-issuer.js';

/** A client's DPoP key pair, its public JWK and thumbprint (the token's `cnf.jkt`). */
export interface DpopKey { privateKey: CryptoKey; publicJwk: JWK; privateJwk: JWK; jkt: string }

export async function newDpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, privateJwk: await exportJWK(privateKey), jkt: await calculateJwkThumbprint(publicJwk) };
}

export const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

export interface ProofFields {
  htm?: string; htu?: string; iat?: number; jti?: string; ath?: string | undefined;
  typ?: string; alg?: string; jwk?: JWK | undefined;
}

/** A DPoP proof for `token`, signed with `key`; any field can be overridden to make it wrong. */
export async function proof(key: DpopKey, token: string, fields: ProofFields = {}): Promise<string> {
  const payload: Record<string, unknown> = {
    htm: fields.htm ?? 'GET', htu: fields.htu, iat: fields.iat ?? now(), jti: fields.jti ?? randomUUID(),
    ath: 'ath' in fields ? fields.ath : ath(token),
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  const header: Record<string, unknown> = { alg: fields.alg ?? 'ES256', typ: fields.typ ?? 'dpop+jwt', jwk: 'jwk' in fields ? fields.jwk : key.publicJwk };
  if (header.jwk === undefined) delete header.jwk;
  return new SignJWT(payload).setProtectedHeader(header as never).sign(key.privateKey);
}

/** An unsigned `alg: none` proof: must never be accepted. */
export function unsignedProof(key: DpopKey, token: string, htu: string): string {
  return `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${b64({ htm: 'GET', htu, iat: now(), jti: randomUUID(), ath: ath(token) })}.`;
}
