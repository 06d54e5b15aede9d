import * as OTPAuth from 'otpauth';

const PERIOD = 30;
const DIGITS = 6;

/** RFC 6238 with the parameters every authenticator app supports: SHA-1, 6 digits, 30 s. */
function totpOf(secretBase32: string, label = 'account', issuer = 'Gatehouse'): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD, secret: OTPAuth.Secret.fromBase32(secretBase32) });
}

/** A new 160-bit secret (RFC 4226's recommended length), base32 as apps expect it. */
export const newTotpSecret = (): string => new OTPAuth.Secret({ size: 20 }).base32;

/** The otpauth:// URI an app scans from the QR code. */
export const totpUri = (secretBase32: string, label: string, issuer: string): string => totpOf(secretBase32, label, issuer).toString();

export const isWellFormedTotpCode = (code: string): boolean => /^\d{6}$/.test(code);

/**
 * The time step a code belongs to, within one step of clock drift either way; undefined when the
 * code is wrong. The caller refuses a step it has already accepted (replay).
 */
export function totpStep(secretBase32: string, code: string, now: Date): number | undefined {
  if (!isWellFormedTotpCode(code)) return undefined;
  const delta = totpOf(secretBase32).validate({ token: code, timestamp: now.getTime(), window: 1 });
  return delta === null ? undefined : Math.floor(now.getTime() / 1000 / PERIOD) + delta;
}

/** The code of a time: for tests and the docs' recipe. */
export const totpCodeAt = (secretBase32: string, at: Date): string => totpOf(secretBase32).generate({ timestamp: at.getTime() });
