/** A browser (SSO) session of a user, as the management API shows it. */
export interface BrowserSession {
  /** The session's `uid`: stable for its whole life and, unlike its storage id, not what the cookie carries. */
  id: string;
  loginAt: Date;
  expiresAt?: Date;
  /** Clients that were authorised through this session. */
  clients: string[];
  /** The grant each of those clients holds through this session. */
  grantOf: Record<string, string | undefined>;
}

/**
 * The browser sessions the protocol layer keeps for each account. Implemented beside the
 * oidc-provider adapter, which alone knows how sessions are stored.
 */
export interface SessionDirectory {
  /** Live sessions of an account, newest login first. */
  sessionsOf(accountId: string): Promise<BrowserSession[]>;
  /** Ends one session (by its uid); false when the account has no such live session. */
  end(accountId: string, sessionId: string): Promise<boolean>;
  /** Ends every session of the account. */
  endAll(accountId: string): Promise<void>;
  /**
   * How many live sessions there are: of every account, or of those in `accountIds`. Cheap for
   * everyone (it reads no account's sessions), one store read per listed account otherwise.
   */
  countLive(accountIds?: ReadonlyArray<string>): Promise<number>;
}
