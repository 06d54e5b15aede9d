import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signs and checks cookies as keygrip does (what Koa and oidc-provider use by default): the
 * HMAC-SHA1 of `name=value` under the first key, base64url; a signature under any key is
 * accepted (keys rotate by putting the new one first). Same signatures, so cookies set before
 * a restart stay valid. What differs is the comparison: keygrip's (tsscmp) draws 32 random
 * bytes and computes two more HMACs to compare two strings; `timingSafeEqual` compares the
 * bytes in constant time directly. Every page and post of a sign-in checks two to four signed
 * cookies, so this was a visible share of a sign-in's CPU.
 */
export class CookieSigner {
  private readonly keys: readonly string[];

  constructor(keys: readonly string[]) {
    if (!keys.length) throw new Error('cookie signing needs at least one key');
    this.keys = [...keys];
  }

  sign(data: string): string {
    return signWith(data, this.keys[0]!);
  }

  verify(data: string, digest: string): boolean {
    return this.index(data, digest) > -1;
  }

  /** Which key signed `data` as `digest` (-1: none). */
  index(data: string, digest: string): number {
    const given = Buffer.from(String(digest));
    for (let i = 0; i < this.keys.length; i++) {
      const expected = Buffer.from(signWith(data, this.keys[i]!));
      // The lengths are public (a SHA-1 HMAC in base64url); only equal lengths are compared.
      if (given.length === expected.length && timingSafeEqual(given, expected)) return i;
    }
    return -1;
  }
}

function signWith(data: string, key: string): string {
  return createHmac('sha1', key).update(data).digest('base64url');
}
