export interface TokenCount { clientId: string; hour: Date; count: number }

/** Counts per client in one time bucket (an hour or a UTC day), for charts. */
export interface BucketCount { clientId: string; at: Date; count: number }

export type Bucket = 'hour' | 'day';

export interface TokenWindows { clientId: string; lastHour: number; lastDay: number; last30Days: number }

/** Hourly counts of access tokens issued, per client. */
export interface TokenCountRepository {
  /** Adds counts; rows for the same client and hour add up (several nodes flush into one row). */
  add(counts: ReadonlyArray<TokenCount>): Promise<void>;
  /**
   * Sums per client over windows that start at the hour bucket holding `now - window`: each
   * window is rounded out to whole hours (lastHour covers 60–120 minutes).
   */
  windows(now: Date, clientIds?: ReadonlyArray<string>): Promise<TokenWindows[]>;
  /** Sums per client and bucket (hours, or UTC days) from `from` on; buckets without tokens are absent. */
  series(from: Date, bucket: Bucket): Promise<BucketCount[]>;
  deleteBefore(hour: Date): Promise<number>;
}
