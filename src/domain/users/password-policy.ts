import { ValidationError } from '../errors.js';

/**
 * The common-password list: the `passwords-common` dictionary of @zxcvbn-ts/language-common
 * (MIT, maintained with zxcvbn-ts; about 49,000 of the most frequent passwords in public breach
 * corpora, lower-cased). Chosen over a list copied into this repository so that updates arrive
 * with the package. NIST SP 800-63B 3.1.1.2 and the NCSC both ask for such a blocklist.
 * Loaded by the first password checked, not at start: the package and the set made from it are
 * ~4 MB of live heap that a node which never sets a password (one serving tokens) does not need.
 */
const loadCommonPasswords = async (): Promise<ReadonlySet<string>> =>
  new Set((await import('@zxcvbn-ts/language-common')).dictionary['passwords-common']);

export interface PasswordPolicyOptions {
  /** Shortest password accepted (config.passwordMinLength). */
  minLength: number;
}

/** What a password is checked against besides the list: the account's own names. */
export interface PasswordContext {
  username?: string;
  email?: string;
}

/**
 * The one password rule of the management API, the CLI and self-registration: long enough, not
 * on the common-password list (case-insensitively), and not the account's username or email.
 * No composition rules (digits, symbols): they push people to predictable patterns.
 */
export function createPasswordPolicy(options: PasswordPolicyOptions) {
  let common: Promise<ReadonlySet<string>> | undefined;

  /** Why the password is refused, or undefined when it is acceptable. */
  async function problem(password: string, context: PasswordContext = {}): Promise<string | undefined> {
    // Code points, not UTF-16 units: an emoji counts as one character, as a person sees it.
    if ([...password].length < options.minLength) return `must be at least ${options.minLength} characters long`;
    const lower = password.toLowerCase();
    if ((await (common ??= loadCommonPasswords())).has(lower)) return 'is too common (it appears in lists of breached passwords)';
    const names = [context.username, context.email, context.email?.split('@')[0]].filter((n): n is string => Boolean(n));
    if (names.some((name) => name.toLowerCase() === lower)) return 'must not be the username or email';
    return undefined;
  }

  return {
    minLength: options.minLength,
    problem,
    /** Throws a ValidationError naming `field` (the input field that carried the password). */
    async check(password: string, context: PasswordContext = {}, field = 'password'): Promise<void> {
      const detail = await problem(password, context);
      if (detail) throw new ValidationError(`the password ${detail}`, [{ field, detail }]);
    },
  };
}

export type PasswordPolicy = ReturnType<typeof createPasswordPolicy>;
