export interface GrantOrigin { grantId: string; accountId: string; clientId: string; ip?: string; userAgent?: string }

/** A live grant of an account as the sessions/devices view shows it. */
export interface AccountGrant {
  id: string;
  clientId: string;
  createdAt: Date;
  /** The newest token minted from the grant (or the grant itself when none is stored). */
  lastUsedAt: Date;
  expiresAt?: Date;
  labId?: string;
  ip?: string;
  userAgent?: string;
}

/** Where grants were created (IP, user agent), and the grants of an account with their last use. */
export interface GrantOriginRepository {
  /** One insert at consent; a grant consented to again keeps its first origin. */
  record(origin: GrantOrigin): Promise<void>;
  /** Unexpired grants of an account, newest first. */
  grantsOfAccount(accountId: string): Promise<AccountGrant[]>;
  /** Origins of grants that no longer exist (revoked or swept). */
  deleteOrphans(): Promise<number>;
}
