import type { PasswordHasher } from '../../src/domain/users/password-hasher.js';

/**
 * A transparent stand-in for argon2: `plain:<password>` hashes, verified by comparison. Counts
 * verifications (login must run one on every path) and can call hashes outdated.
 */
export function createFakePasswordHasher(options: { outdated?: (hash: string) => boolean } = {}): PasswordHasher & { verifications: number } {
  const hasher = {
    verifications: 0,
    hash: async (password: string) => `plain:${password}`,
    async verify(hash: string | undefined, password: string) {
      hasher.verifications += 1;
      return hash !== undefined && hash === `plain:${password}`;
    },
    needsRehash: (hash: string) => options.outdated?.(hash) ?? false,
  };
  return hasher;
}
