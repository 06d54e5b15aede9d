import type { Bucket, BucketCount } from '../ports/token-count-repository.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The periods the dashboard charts: the last 24 hours by hour, the last 7 or 30 days by UTC day. */
export const ACTIVITY_PERIODS = { '24h': { bucket: 'hour', count: 24 }, '7d': { bucket: 'day', count: 7 }, '30d': { bucket: 'day', count: 30 } } as const;

export type ActivityPeriod = keyof typeof ACTIVITY_PERIODS;

/** One client's counts, one per bucket, oldest first. */
export interface ClientSeries { clientId: string; counts: number[] }

export interface Activity {
  bucket: Bucket;
  /** The start of each bucket, oldest first; the last one holds `now`. */
  buckets: Date[];
  signIns: ClientSeries[];
  tokensIssued: ClientSeries[];
}

/** The start of the hour or UTC day holding `at`. */
export function bucketStart(at: Date, bucket: Bucket): Date {
  const size = bucket === 'hour' ? HOUR_MS : DAY_MS;
  return new Date(Math.floor(at.getTime() / size) * size);
}

/** The buckets of a period ending with the one that holds `now`. */
export function bucketsOf(period: ActivityPeriod, now: Date): Date[] {
  const { bucket, count } = ACTIVITY_PERIODS[period];
  const size = bucket === 'hour' ? HOUR_MS : DAY_MS;
  const last = bucketStart(now, bucket).getTime();
  return Array.from({ length: count }, (_, i) => new Date(last - (count - 1 - i) * size));
}

/** Sparse counts → one dense series per client (zeros where nothing happened), clients by total, busiest first. */
export function toSeries(buckets: readonly Date[], counts: readonly BucketCount[]): ClientSeries[] {
  const index = new Map(buckets.map((b, i) => [b.getTime(), i]));
  const byClient = new Map<string, number[]>();
  for (const c of counts) {
    const i = index.get(c.at.getTime());
    if (i === undefined) continue;
    let series = byClient.get(c.clientId);
    if (!series) byClient.set(c.clientId, (series = buckets.map(() => 0)));
    series[i]! += c.count;
  }
  const total = (s: number[]) => s.reduce((a, b) => a + b, 0);
  return [...byClient].map(([clientId, series]) => ({ clientId, counts: series }))
    .sort((a, b) => total(b.counts) - total(a.counts) || a.clientId.localeCompare(b.clientId));
}
