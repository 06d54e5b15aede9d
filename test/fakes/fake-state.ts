import type { StoredEvent } from '../../src/domain/events/domain-event.js';
import type { ChainedAuditEntry } from '../../src/domain/audit/audit-chain.js';
import type { ClientMetadata } from '../../src/domain/ports/client-repository.js';
import type { TokenCount } from '../../src/domain/ports/token-count-repository.js';
import type { LabStatus, MembershipStatus, PrincipalType, Resource, UserWithSecret } from '../../src/domain/types.js';

export interface UserRow extends UserWithSecret { blockedReason?: string }
export interface LabRow { id: string; name: string; status: LabStatus; createdAt: Date; updatedAt: Date }
export interface MemberRow { labId: string; userId: string; role: string; status: MembershipStatus; createdAt: Date; updatedAt: Date }
export interface RoleRow { principalType: PrincipalType; principalId: string; resourceUri: string; role: string; labId?: string }
export interface ResourceRow extends Resource { createdAt: Date; updatedAt: Date }
export interface ClientRow { metadata: ClientMetadata; createdAt: Date; updatedAt: Date }
/** A grant as the OIDC payload table would hold it: what grantIdsOf and the devices view read. */
export interface GrantRow { id: string; accountId: string; clientId: string; createdAt: Date; lastUsedAt: Date; expiresAt?: Date; ip?: string; userAgent?: string }

/**
 * The tables behind the fake repositories: plain data only, so a transaction can snapshot it
 * with structuredClone and put it back on a thrown error. Tests may seed or inspect it directly.
 */
export interface FakeState {
  users: UserRow[];
  labs: LabRow[];
  members: MemberRow[];
  roles: RoleRow[];
  resources: ResourceRow[];
  clients: ClientRow[];
  audit: ChainedAuditEntry[];
  grantLabs: Record<string, string>;
  grants: GrantRow[];
  tokenCounts: TokenCount[];
  events: StoredEvent[];
}

export const emptyState = (): FakeState => ({
  users: [], labs: [], members: [], roles: [], resources: [], clients: [], audit: [], grantLabs: {}, grants: [], tokenCounts: [], events: [],
});

/** Copies out of (and into) the state, as a database would: callers never share its objects. */
export const copy = <T>(value: T): T => structuredClone(value);

export const lower = (value: string | undefined | null) => value?.toLowerCase();

/** Case-insensitive substring, as the repositories' `position(lower(?) in lower(col))`. */
export const containsText = (haystack: string | undefined | null, needle: string) => (haystack ?? '').toLowerCase().includes(needle.toLowerCase());

/** Code-unit order, then the tie-breaker: a stable order for paging. */
export const byKeys = <T>(...keys: Array<(row: T) => string>) => (a: T, b: T): number => {
  for (const key of keys) {
    const x = key(a);
    const y = key(b);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};

export function pageOf<T>(rows: T[], page: { limit: number; offset: number }): { items: T[]; total: number } {
  return { items: rows.slice(page.offset, page.offset + page.limit), total: rows.length };
}
