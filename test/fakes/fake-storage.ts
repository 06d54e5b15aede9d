import type { Clock } from '../../src/domain/ports/clock.js';
import type { GrantOriginRepository } from '../../src/domain/ports/grant-origin-repository.js';
import type { Repositories, Transaction } from '../../src/domain/ports/repositories.js';
import type { StatisticsRepository } from '../../src/domain/ports/statistics-repository.js';
import type { BucketCount, TokenCountRepository } from '../../src/domain/ports/token-count-repository.js';
import { bucketStart } from '../../src/domain/management/activity.js';
import { createFakeAuditRepository } from './fake-audit-repository.js';
import { createFakeEventRepository } from './fake-event-repository.js';
import { createFakeClientRepository } from './fake-client-repository.js';
import { createFakeEmailTokenRepository } from './fake-email-token-repository.js';
import { createFakeClock } from './fake-clock.js';
import { createFakeLabRepository } from './fake-lab-repository.js';
import { createFakeResourceRepository } from './fake-resource-repository.js';
import { emptyState, type FakeState } from './fake-state.js';
import { createFakeTenancyRepository } from './fake-tenancy-repository.js';
import { createFakeUserRepository } from './fake-user-repository.js';

const HOUR_MS = 3_600_000;

/** A port no unit test uses yet: any call fails loudly instead of pretending. */
function unsupported<T extends object>(port: string): T {
  return new Proxy({} as T, {
    get: (_target, method) => () => Promise.reject(new Error(`${port}.${String(method)} is not faked (test/fakes/fake-storage.ts)`)),
  });
}

/** Adds up counts of the same client and bucket, as the SQL's GROUP BY does. */
function sumBuckets(rows: BucketCount[]): BucketCount[] {
  const sums = new Map<string, BucketCount>();
  for (const r of rows) {
    const key = `${r.at.getTime()} ${r.clientId}`;
    const seen = sums.get(key);
    if (seen) seen.count += r.count;
    else sums.set(key, { ...r });
  }
  return [...sums.values()];
}

function createFakeStatistics(state: FakeState): StatisticsRepository {
  const memberIds = (labId: string) => new Set(state.members.filter((m) => m.labId === labId).map((m) => m.userId));
  const usersIn = (labId?: string) => (labId === undefined ? state.users : state.users.filter((u) => memberIds(labId).has(u.id)));
  return {
    async userCounts(labId) {
      const users = usersIn(labId);
      return { total: users.length, active: users.filter((u) => u.status === 'active').length, blocked: users.filter((u) => u.status === 'blocked').length };
    },
    async labCounts(labId) {
      const labs = state.labs.filter((l) => labId === undefined || l.id === labId);
      return { total: labs.length, active: labs.filter((l) => l.status === 'active').length, suspended: labs.filter((l) => l.status === 'suspended').length };
    },
    async memberIds(labId) {
      return [...memberIds(labId)].sort();
    },
    async isMember(labId, userId) {
      return memberIds(labId).has(userId);
    },
    async signIns(from, bucket) {
      const rows = state.audit.filter((r) => r.action === 'login.succeeded' && r.at >= from)
        .map((r) => ({ clientId: String(r.details.client_id ?? ''), at: bucketStart(r.at, bucket), count: 1 }));
      return sumBuckets(rows);
    },
  };
}

function createFakeGrantOrigins(state: FakeState, clock: Clock): GrantOriginRepository {
  return {
    async record(origin) {
      const grant = state.grants.find((g) => g.id === origin.grantId);
      if (grant && grant.ip === undefined) Object.assign(grant, { ip: origin.ip, userAgent: origin.userAgent });
    },
    async grantsOfAccount(accountId) {
      const now = clock.now();
      return state.grants
        .filter((g) => g.accountId === accountId && (!g.expiresAt || g.expiresAt > now))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
        .map((g) => ({ ...structuredClone(g), ...(state.grantLabs[g.id] ? { labId: state.grantLabs[g.id] } : {}) }));
    },
    async deleteOrphans() {
      return 0;
    },
  };
}

function createFakeTokenCounts(state: FakeState): TokenCountRepository {
  return {
    async add(counts) {
      for (const c of counts) {
        const row = state.tokenCounts.find((t) => t.clientId === c.clientId && t.hour.getTime() === c.hour.getTime());
        if (row) row.count += c.count;
        else state.tokenCounts.push(structuredClone(c));
      }
    },
    async windows(now, clientIds) {
      // Each window starts at the hour bucket holding `now - window`, as the port documents.
      const since = (ms: number) => Math.floor((now.getTime() - ms) / HOUR_MS) * HOUR_MS;
      const sum = (clientId: string, ms: number) => state.tokenCounts.filter((t) => t.clientId === clientId && t.hour.getTime() >= since(ms)).reduce((n, t) => n + t.count, 0);
      const ids = [...new Set(state.tokenCounts.map((t) => t.clientId))].filter((id) => !clientIds || clientIds.includes(id)).sort();
      return ids.map((clientId) => ({ clientId, lastHour: sum(clientId, HOUR_MS), lastDay: sum(clientId, 24 * HOUR_MS), last30Days: sum(clientId, 30 * 24 * HOUR_MS) }));
    },
    async series(from, bucket) {
      return sumBuckets(state.tokenCounts.filter((t) => t.hour >= from).map((t) => ({ clientId: t.clientId, at: bucketStart(t.hour, bucket), count: t.count })));
    },
    async deleteBefore(hour) {
      const before = state.tokenCounts.length;
      state.tokenCounts = state.tokenCounts.filter((t) => t.hour >= hour);
      return before - state.tokenCounts.length;
    },
  };
}

/** Makes the next call of `repo.method` reject with `error` (a storage failure mid-change). */
type FailNext = (method: `${keyof Repositories}.${string}`, error?: Error) => void;

export interface FakeStorage {
  state: FakeState;
  clock: ReturnType<typeof createFakeClock>;
  /** Repositories over the state; reads outside a transaction see what committed (and what a running one wrote). */
  repos: Repositories;
  /** All-or-nothing: a thrown error puts the state back as it was before `work`. One at a time; do not nest. */
  transaction: Transaction;
  failNext: FailNext;
}

/**
 * In-memory fakes of the storage ports over one FakeState, with a Transaction that restores a
 * snapshot of the state when its work throws. They honour the port contracts (DuplicateError
 * naming the field, MissingReferenceError, paging with totals, stable order), so a use case
 * behaves here as it does on Postgres.
 */
export function createFakeStorage(options: { clock?: ReturnType<typeof createFakeClock> } = {}): FakeStorage {
  const state = emptyState();
  const clock = options.clock ?? createFakeClock();
  const faults = new Map<string, Error>();

  /** Every promise-returning method consults `faults` first, so a test can fail any step of a change. */
  function withFaults<T extends object>(name: string, repo: T): T {
    return new Proxy(repo, {
      get(target, method, receiver) {
        const value = Reflect.get(target, method, receiver) as unknown;
        if (typeof value !== 'function' || value.constructor.name === 'AsyncGeneratorFunction') return value;
        return (...args: unknown[]) => {
          const key = `${name}.${String(method)}`;
          const fault = faults.get(key);
          if (fault) {
            faults.delete(key);
            return Promise.reject(fault);
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  const repos: Repositories = {
    users: withFaults('users', createFakeUserRepository(state, clock)),
    tenancy: withFaults('tenancy', createFakeTenancyRepository(state, clock)),
    labs: withFaults('labs', createFakeLabRepository(state, clock)),
    resources: withFaults('resources', createFakeResourceRepository(state, clock)),
    clients: withFaults('clients', createFakeClientRepository(state, clock)),
    payloads: unsupported('payloads'),
    revocations: unsupported('revocations'),
    audit: withFaults('audit', createFakeAuditRepository(state)),
    grantOrigins: withFaults('grantOrigins', createFakeGrantOrigins(state, clock)),
    tokenCounts: withFaults('tokenCounts', createFakeTokenCounts(state)),
    statistics: withFaults('statistics', createFakeStatistics(state)),
    events: withFaults('events', createFakeEventRepository(state)),
    webhooks: unsupported('webhooks'),
    ssf: unsupported('ssf'),
    backchannelLogouts: unsupported('backchannelLogouts'),
    emailTokens: withFaults('emailTokens', createFakeEmailTokenRepository(state)),
    factors: unsupported('factors'),
  };

  let queue: Promise<unknown> = Promise.resolve();
  // Inside a transaction: a savepoint (its failure restores what it changed) on the same state.
  const nested: Transaction = async <T>(work: (tx: Repositories, inner: Transaction) => Promise<T>): Promise<T> => {
    const snapshot = structuredClone(state);
    try {
      return await work(repos, nested);
    } catch (error) {
      Object.assign(state, snapshot);
      throw error;
    }
  };
  const transaction: Transaction = <T>(work: (tx: Repositories, inner: Transaction) => Promise<T>): Promise<T> => {
    const run = queue.then(() => nested(work));
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    state, clock, repos, transaction,
    failNext: (method, error = new Error(`injected failure of ${method}`)) => void faults.set(method, error),
  };
}
