import type { PushSecurityEventToken, SignSecurityEventToken } from '../domain/ssf/shared-signals.js';
import { postOutbound, type OutboundPolicy } from '../lib/outbound-request.js';
import type { Rs256SigningKey } from '../oidc/rs256-signing-key.js';

/** Signs SETs with the key that signs tokens now (`signingKey` follows rotations); `typ` secevent+jwt (RFC 8417 §2.3). */
export function createSetSigner(signingKey: () => Rs256SigningKey): SignSecurityEventToken {
  return async (claims) => signingKey().signJwt({ ...claims }, 'secevent+jwt');
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
