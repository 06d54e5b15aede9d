/**
 * Authentication Method Reference values (RFC 8176) and the two authentication context classes
 * Gatehouse signs in at. `mfa` is added whenever two independent factors were proven.
 */
export type AuthenticationMethod = 'pwd' | 'otp' | 'hwk' | 'swk' | 'mfa';

/** A password alone, or a passkey without user verification. */
export const ACR_SINGLE_FACTOR = 'urn:gatehouse:acr:1fa';
/** Two factors: password plus TOTP, recovery code or passkey; or a passkey with user verification. */
export const ACR_MULTI_FACTOR = 'urn:gatehouse:acr:mfa';
export const ACR_VALUES = [ACR_SINGLE_FACTOR, ACR_MULTI_FACTOR] as const;

export const isMultiFactor = (amr: readonly string[] | undefined): boolean => Boolean(amr?.includes('mfa'));

export const acrOf = (amr: readonly string[]): string => (isMultiFactor(amr) ? ACR_MULTI_FACTOR : ACR_SINGLE_FACTOR);

/** The methods of a sign-in that added `second` to what `first` proved. */
export function withSecondFactor(first: readonly string[], second: AuthenticationMethod): AuthenticationMethod[] {
  return [...new Set([...first, second, 'mfa'])] as AuthenticationMethod[];
}
