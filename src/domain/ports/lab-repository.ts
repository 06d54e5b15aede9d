import type { LabStatus, MembershipStatus } from '../types.js';
import type { Page, Paging } from './paging.js';

export interface LabRecord { id: string; name: string; status: LabStatus; memberCount: number; createdAt: Date; updatedAt: Date }
export interface MemberRecord {
  labId: string; userId: string; username: string; email?: string; role: string; status: MembershipStatus; createdAt: Date; updatedAt: Date;
}

/**
 * Labs and their members, for the management API and CLI. Every member query names its lab.
 * `insert` throws DuplicateError when the id is taken; `insertMember` throws DuplicateError for
 * an existing membership and MissingReferenceError when the lab or user does not exist.
 */
export interface LabRepository {
  insert(lab: { id: string; name: string; status?: LabStatus }): Promise<void>;
  find(id: string): Promise<LabRecord | undefined>;
  /** Labs by name (case-insensitive substring) and status; `onlyId` confines the list to one lab. */
  list(filter: { q?: string; status?: LabStatus; onlyId?: string }, page: Paging): Promise<Page<LabRecord>>;
  update(id: string, change: { name?: string; status?: LabStatus }): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  findMember(labId: string, userId: string): Promise<MemberRecord | undefined>;
  listMembers(labId: string, filter: { role?: string; status?: MembershipStatus }, page: Paging): Promise<Page<MemberRecord>>;
  insertMember(m: { labId: string; userId: string; role: string; status: MembershipStatus }): Promise<void>;
  updateMember(labId: string, userId: string, change: { role?: string; status?: MembershipStatus }): Promise<boolean>;
  deleteMember(labId: string, userId: string): Promise<boolean>;
}
