export interface StoredPayload {
  payload: Record<string, unknown>;
  /** epoch milliseconds when first consumed */
  consumedAtMs?: number;
}

/** A consume that lost the race: another request consumed the same artifact first. */
export class AlreadyConsumedError extends Error {
  override readonly name = 'AlreadyConsumedError';
}

/** oidc-provider models kept durably (grants and tokens). Knows no protocol rules. */
export interface PayloadRepository {
  upsert(kind: string, id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void>;
  find(kind: string, id: string): Promise<StoredPayload | undefined>;
  /** Marks consumed exactly once, at `at`; a second caller gets AlreadyConsumedError. */
  consume(kind: string, id: string, at?: Date): Promise<void>;
  /** Undoes a consume whose request then failed on the server's side. */
  unconsume(kind: string, id: string): Promise<void>;
  destroy(kind: string, id: string): Promise<void>;
  /** Every unexpired `kind` of a grant, consumed or not (a grant holds a handful). */
  findByGrantId(kind: string, grantId: string): Promise<Array<StoredPayload & { id: string }>>;
  destroyByGrantId(kind: string, grantId: string): Promise<void>;
  /** Grants of an account, for revoking everything a blocked user holds. */
  grantIdsOfAccount(accountId: string): Promise<string[]>;
  deleteExpired(): Promise<number>;
  /** Unexpired models of one kind, newest first (initial access tokens, for the management API). */
  listByKind(kind: string, limit: number): Promise<Array<StoredPayload & { id: string }>>;
}
