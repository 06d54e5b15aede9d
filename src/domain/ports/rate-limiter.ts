/** A quota: at most `points` requests per fixed window of `windowSeconds`. */
export interface RateLimitPolicy {
  readonly points: number;
  readonly windowSeconds: number;
}

/** Where one key stands in its window. */
export interface RateLimitState {
  /** Requests still allowed in this window (0 once the quota is spent). */
  readonly remaining: number;
  /** Seconds until the window ends and the quota is whole again. */
  readonly resetSeconds: number;
  /** The quota is spent: a request now would be over it. */
  readonly exhausted: boolean;
}

/** Where a key stands after spending one request. */
export interface Spent extends RateLimitState {
  /** That request was beyond the quota. */
  readonly over: boolean;
}

/** Counts requests per key against one policy, shared by every node that shares the store. */
export interface RateLimiter {
  readonly policy: RateLimitPolicy;
  /** Where `key` stands, spending nothing. */
  peek(key: string): Promise<RateLimitState>;
  /** Spends one request of `key`'s quota and says where it stands after. */
  spend(key: string): Promise<Spent>;
}

/** Makes the limiters: on Redis with servers, in process when embedded. */
export interface RateLimiters {
  /** `name` keeps each limiter's counts apart (`token:client`, `login:ip`). */
  create(name: string, policy: RateLimitPolicy): RateLimiter;
}
