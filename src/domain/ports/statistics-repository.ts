import type { Bucket, BucketCount } from './token-count-repository.js';

export interface UserCounts { total: number; active: number; blocked: number }
export interface LabCounts { total: number; active: number; suspended: number }

/** Counts for /statistics. `labId` confines them to one lab (its members, and the lab itself). */
export interface StatisticsRepository {
  userCounts(labId?: string): Promise<UserCounts>;
  labCounts(labId?: string): Promise<LabCounts>;
  /** Ids of a lab's members (any membership status): the users whose sessions its admin's count covers. */
  memberIds(labId: string): Promise<string[]>;
  /** Successful sign-ins (audited `login.succeeded`) per client and bucket from `from` on; empty buckets are absent. */
  signIns(from: Date, bucket: Bucket): Promise<BucketCount[]>;
  /** Whether the user belongs to the lab (any membership status): what makes them a lab admin's to see. */
  isMember(labId: string, userId: string): Promise<boolean>;
}
