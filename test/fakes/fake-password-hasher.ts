import type { PasswordHasher } from '../../src/domain/users/password-hasher.js';

/**
 * A transparent stand-in for argon2: hashes are `plain:<password>`. A stored `<other scheme>:<password>`
 * still verifies but needs a rehash, as a hash made with weaker argon2 parameters does. Counts
 * verifications (login must run exactly one on every path).
 */
export function createFakePasswordHasher(): PasswordHasher & { verifications: number } {
  const hasher = {
    verifications: 0,
    hash: async (password: string) => `plain:${password}`,
    async verify(hash: string | undefined, password: string) {
      hasher.verifications += 1;
      return hash !== undefined && hash.slice(hash.indexOf(':') + 1) === password;
    },
    needsRehash: (hash: string) => !hash.startsWith('plain:'),
  };
  return hasher;
}
