import argon2 from 'argon2';

/**
 * argon2id at OWASP's minimum (m=19 MiB, t=2, p=1) unless configured otherwise (tests hash
 * cheaply; production refuses less work). Hashes made with other parameters are reported by
 * `needsRehash` so login can upgrade them transparently.
 */
export interface PasswordHashOptions {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const defaultHashOptions: PasswordHashOptions = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

export function createPasswordHasher(options: PasswordHashOptions = defaultHashOptions) {
  const params = { type: argon2.argon2id, ...options } as const;
  // Verified against when the user does not exist or has no password, so that path costs
  // the same as a real check (no user enumeration by timing).
  const decoy = argon2.hash('decoy-password-never-matches', params);

  return {
    hash: (password: string) => argon2.hash(password, params),
    async verify(hash: string | undefined, password: string): Promise<boolean> {
      try {
        if (!hash) {
          await argon2.verify(await decoy, password);
          return false;
        }
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    },
    needsRehash: (hash: string) => argon2.needsRehash(hash, params),
  };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;
