/** What a one-time email link is for. */
export type EmailTokenPurpose = 'password_reset' | 'email_verification';

/** A one-time link as stored: the SHA-256 of its token, never the token. */
export interface EmailTokenRecord {
  tokenHash: string;
  purpose: EmailTokenPurpose;
  userId: string;
  /** The address the link was sent to (for a verification: the address being verified). */
  email: string;
  expiresAt: Date;
  createdAt: Date;
}

/** One-time email links (password reset, address verification). */
export interface EmailTokenRepository {
  /** Stores a new link and drops the user's unused links of the same purpose: only the newest one works. */
  issue(record: EmailTokenRecord): Promise<void>;
  /** The link if it exists for this purpose, is unused and unexpired at `now`; reads only (a page showing the form). */
  findUsable(tokenHash: string, purpose: EmailTokenPurpose, now: Date): Promise<EmailTokenRecord | undefined>;
  /** Marks the link used, exactly once, if usable at `now`: the one caller that wins gets the record. Atomic. */
  consume(tokenHash: string, purpose: EmailTokenPurpose, now: Date): Promise<EmailTokenRecord | undefined>;
  /** Deletes links that expired before `now`. */
  deleteExpired(now: Date): Promise<number>;
}
