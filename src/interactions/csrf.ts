import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * CSRF tokens bound to one interaction: HMAC(secret, uid). Stateless, so any node verifies
 * them; useless for another interaction or without the secret.
 */
export function createCsrf(secret: string) {
  const tokenFor = (uid: string) => createHmac('sha256', secret).update(`csrf:${uid}`).digest('base64url');
  return {
    tokenFor,
    verify(uid: string, token: unknown): boolean {
      if (typeof token !== 'string') return false;
      const expected = Buffer.from(tokenFor(uid));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
