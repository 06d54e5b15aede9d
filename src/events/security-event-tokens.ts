import { importJWK, SignJWT, type CryptoKey } from 'jose';

import type { PushSecurityEventToken, SignSecurityEventToken } from '../domain/ssf/shared-signals.js';
import { postOutbound, type OutboundPolicy } from '../lib/outbound-request.js';
import type { PrivateJwk } from '../oidc/keys.js';

/** Signs SETs with the key that signs tokens now (`signingKey` follows rotations); `typ` secevent+jwt (RFC 8417 §2.3). */
export function createSetSigner(signingKey: () => PrivateJwk): SignSecurityEventToken {
  const imported = new Map<string, Promise<CryptoKey | Uint8Array>>();
  return async (claims) => {
    const jwk = signingKey();
    if (!imported.has(jwk.kid)) {
      imported.clear();
      imported.set(jwk.kid, importJWK(jwk as never, 'RS256'));
    }
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'secevent+jwt', kid: jwk.kid }).sign(await imported.get(jwk.kid)!);
  };
}

/** RFC 8935 push: the SET as `application/secevent+jwt`, through the SSRF-guarded outbound POST. */
export function createSetPusher(options: { policy: OutboundPolicy; timeoutMs: number }): PushSecurityEventToken {
  return (target, token) => postOutbound(target.url, {
    headers: {
      'content-type': 'application/secevent+jwt', accept: 'application/json', 'user-agent': 'Gatehouse-SSF/1',
      ...(target.authorization ? { authorization: target.authorization } : {}),
    },
    body: token,
    timeoutMs: options.timeoutMs,
  }, options.policy);
}
