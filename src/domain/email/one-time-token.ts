import { createHash, randomBytes } from 'node:crypto';

/** What a link's token looks like: 32 random bytes, base64url. Anything else is refused unread. */
export const ONE_TIME_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * SHA-256 of a link's token, the only form stored. A fast hash is right here: the token has 256
 * bits of entropy, so a leaked table cannot be reversed or guessed offline (as client secrets).
 */
export function hashOneTimeToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** A new one-time token and the hash to store. */
export function newOneTimeToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOneTimeToken(token) };
}
