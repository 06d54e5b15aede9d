import type { JWTPayload } from 'jose';

import type { Actor, GatehouseClaims } from '../gatehouse-claims.js';
import { VerifierError } from '../verifier-error.js';

const malformed = (claim: string) => new VerifierError('token_invalid', `the access token's ${claim} claim is malformed`);

function string(payload: JWTPayload, claim: string, required: boolean): string | undefined {
  const value = payload[claim];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '') throw malformed(claim);
  return value;
}

/** The `act` chain, each link checked; deeper than any delegation Gatehouse allows is malformed. */
function actor(value: unknown, depth = 0): Actor {
  const link = value as Record<string, unknown> | null;
  if (depth >= 8 || typeof link !== 'object' || link === null || Array.isArray(link) || typeof link.sub !== 'string' || link.sub === '') throw malformed('act');
  if (link.client_id !== undefined && typeof link.client_id !== 'string') throw malformed('act');
  return Object.freeze({
    sub: link.sub,
    ...(link.client_id !== undefined ? { client_id: link.client_id as string } : {}),
    ...(link.act !== undefined ? { act: actor(link.act, depth + 1) } : {}),
  });
}

/**
 * Copies the claims a service may rely on, checking each one's type: jose checked the signature
 * and the registered claims it knows, but a signed `roles: "admin"` (a string, not an array)
 * must still not reach `roles.includes(...)` in a service.
 */
export function readClaims(payload: JWTPayload): GatehouseClaims {
  const { aud, iat, exp, roles } = payload;
  if (!(typeof aud === 'string' || (Array.isArray(aud) && aud.every((a) => typeof a === 'string')))) throw malformed('aud');
  if (typeof iat !== 'number') throw malformed('iat');
  if (typeof exp !== 'number') throw malformed('exp');
  if (roles !== undefined && !(Array.isArray(roles) && roles.every((r) => typeof r === 'string'))) throw malformed('roles');
  const claims: { -readonly [K in keyof GatehouseClaims]: GatehouseClaims[K] } = {
    iss: string(payload, 'iss', true)!,
    aud: Array.isArray(aud) ? Object.freeze([...aud]) : aud,
    sub: string(payload, 'sub', true)!,
    client_id: string(payload, 'client_id', true)!,
    jti: string(payload, 'jti', true)!,
    iat,
    exp,
  };
  // Scope may legitimately be empty in other issuers' tokens; Gatehouse omits it instead.
  if (payload.scope !== undefined) {
    if (typeof payload.scope !== 'string') throw malformed('scope');
    claims.scope = payload.scope;
  }
  const labId = string(payload, 'lab_id', false);
  const labRole = string(payload, 'lab_role', false);
  if (labId !== undefined) claims.lab_id = labId;
  if (labRole !== undefined) claims.lab_role = labRole;
  if (roles !== undefined) claims.roles = Object.freeze([...(roles as string[])]);
  if (payload.cnf !== undefined) {
    const cnf = payload.cnf as { jkt?: unknown } | null;
    if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf) || (cnf.jkt !== undefined && (typeof cnf.jkt !== 'string' || cnf.jkt === ''))) throw malformed('cnf');
    // Only the DPoP binding is understood; a token bound some other way (mTLS) is not for this verifier.
    if (cnf.jkt === undefined) throw new VerifierError('token_invalid', 'the access token is bound by a method this verifier does not support');
    claims.cnf = Object.freeze({ jkt: cnf.jkt as string });
  }
  if (payload.act !== undefined) claims.act = actor(payload.act);
  const { amr } = payload;
  if (amr !== undefined) {
    if (!(Array.isArray(amr) && amr.every((m) => typeof m === 'string'))) throw malformed('amr');
    claims.amr = Object.freeze([...(amr as string[])]);
  }
  const acr = string(payload, 'acr', false);
  if (acr !== undefined) claims.acr = acr;
  return Object.freeze(claims);
}
