import type { LabCounts, UserCounts } from '../ports/statistics-repository.js';
import type { Bucket, BucketCount, TokenWindows } from '../ports/token-count-repository.js';
import type { Clock } from '../ports/clock.js';
import { ACTIVITY_PERIODS, bucketsOf, toSeries, type Activity, type ActivityPeriod } from './activity.js';
import type { SessionDirectory } from '../ports/session-directory.js';

export interface Statistics {
  users: UserCounts;
  labs: LabCounts;
  activeSessions: number;
  /** Absent for lab admins: tokens are counted per client, and a client serves every lab. */
  tokensIssued?: TokenWindows[];
}

export interface StatisticsDeps {
  statistics: {
    userCounts(labId?: string): Promise<UserCounts>;
    labCounts(labId?: string): Promise<LabCounts>;
    memberIds(labId: string): Promise<string[]>;
    signIns(from: Date, bucket: Bucket): Promise<BucketCount[]>;
  };
  tokenCounts: { windows(now: Date): Promise<TokenWindows[]>; series(from: Date, bucket: Bucket): Promise<BucketCount[]> };
  /** This node's counts not yet written; flushed first so a read sees its own node's tokens. */
  tokenIssuance: { flush(): Promise<void> };
  sessions: Pick<SessionDirectory, 'countLive'>;
  clock?: Clock;
}

/**
 * The numbers of /statistics. Active sessions are counted exactly, from the store's index of live
 * sessions: one read for everyone; a lab admin's count reads her lab's members' session lists
 * (one store read per member). Token counts of other nodes arrive with their next flush (every
 * few seconds).
 */
export function createStatistics(deps: StatisticsDeps) {
  async function activeSessions(labId: string | undefined): Promise<number> {
    if (labId === undefined) return deps.sessions.countLive();
    return deps.sessions.countLive(await deps.statistics.memberIds(labId));
  }

  return {
    /** Everything, or for a lab admin (`confinedTo`) their lab: its members, the lab itself and its members' sessions. */
    async read(confinedTo?: string): Promise<Statistics> {
      const [users, labs, sessions] = await Promise.all([
        deps.statistics.userCounts(confinedTo), deps.statistics.labCounts(confinedTo), activeSessions(confinedTo),
      ]);
      if (confinedTo !== undefined) return { users, labs, activeSessions: sessions };
      await deps.tokenIssuance.flush();
      return { users, labs, activeSessions: sessions, tokensIssued: await deps.tokenCounts.windows(new Date()) };
    },

    /** Sign-ins and access tokens per client over a period, one count per hour or UTC day (for charts). */
    async activity(period: ActivityPeriod): Promise<Activity> {
      const buckets = bucketsOf(period, deps.clock?.now() ?? new Date());
      const { bucket } = ACTIVITY_PERIODS[period];
      await deps.tokenIssuance.flush();
      const [signIns, tokens] = await Promise.all([deps.statistics.signIns(buckets[0]!, bucket), deps.tokenCounts.series(buckets[0]!, bucket)]);
      return { bucket, buckets, signIns: toSeries(buckets, signIns), tokensIssued: toSeries(buckets, tokens) };
    },
  };
}

export type StatisticsReader = ReturnType<typeof createStatistics>;
