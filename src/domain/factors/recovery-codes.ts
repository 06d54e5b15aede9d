import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const RECOVERY_CODE_COUNT = 10;

/**
 * Recovery codes: 16 characters from a 32-letter alphabet without look-alikes (80 bits each),
 * shown as `XXXX-XXXX-XXXX-XXXX`. High entropy, so SHA-256 is the right hash (no argon2 needed:
 * nobody can guess through 2^80).
 */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(16);
    const chars = [...bytes].map((b) => ALPHABET[b & 31]).join('');
    return chars.match(/.{4}/g)!.join('-');
  });
}

/** What a person typed, without separators or case: undefined when it cannot be a recovery code. */
export function normalizeRecoveryCode(input: string): string | undefined {
  const compact = input.replace(/[\s-]/g, '').toUpperCase();
  return compact.length === 16 && [...compact].every((c) => ALPHABET.includes(c)) ? compact : undefined;
}

export const hashRecoveryCode = (normalized: string): string => createHash('sha256').update(`recovery:${normalized}`).digest('base64url');
