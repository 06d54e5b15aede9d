import { randomUUID } from 'node:crypto';

import { systemClock, type Clock } from '../../domain/ports/clock.js';
import type { RevocationEntry, Store } from '../../domain/ports/store.js';
import { ttlMs } from '../ttl-ms.js';

interface Entry {
  value: unknown;
  /** epoch ms; undefined never expires */
  expiresAt?: number;
}

/**
 * The embedded twin of the Redis store: same interface, same semantics, one process.
 * Expired entries are dropped when read and swept once a minute. `clock` is injected so tests
 * can move time past a TTL instead of sleeping.
 */
export function createMemoryStore(options: { clock?: Clock } = {}): Store {
  const clock = options.clock ?? systemClock;
  const nowMs = () => clock.now().getTime();
  let entries = new Map<string, Entry>();
  let revocationsLoaded = false;
  let loadToken: string | undefined;

  const read = (key: string): unknown => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= nowMs()) {
      entries.delete(key);
      return undefined;
    }
    return entry.value;
  };
  const write = (key: string, value: unknown, ttlSeconds?: number) => {
    entries.set(key, { value, expiresAt: ttlSeconds ? nowMs() + ttlMs(ttlSeconds) : undefined });
  };
  const sweep = setInterval(() => {
    const now = nowMs();
    for (const [key, entry] of entries) if (entry.expiresAt !== undefined && entry.expiresAt <= now) entries.delete(key);
  }, 60_000);
  sweep.unref();

  return {
    mode: 'memory',
    async getJson<T>(key: string) {
      const value = read(key);
      // Copies, as JSON through Redis would: callers may mutate what they get.
      return value === undefined ? undefined : (structuredClone(value) as T);
    },
    async setJson(key, value, ttlSeconds) {
      write(key, structuredClone(value), ttlSeconds);
    },
    async delete(keys) {
      for (const key of keys) entries.delete(key);
    },
    async claim(key, ttlSeconds) {
      if (read(key) !== undefined) return false;
      write(key, 1, ttlSeconds);
      return true;
    },
    async increment(key, ttlSeconds) {
      const current = read(key) as number | undefined;
      if (current === undefined) {
        write(key, 1, ttlSeconds);
        return 1;
      }
      entries.get(key)!.value = current + 1;
      return current + 1;
    },
    async addToSet(key, member, ttlSeconds) {
      const current = read(key) as Set<string> | undefined;
      const set = current ?? new Set<string>();
      set.add(member);
      const existing = entries.get(key)?.expiresAt ?? 0;
      const wanted = nowMs() + ttlMs(ttlSeconds);
      entries.set(key, { value: set, expiresAt: Math.max(existing, wanted) });
    },
    async setMembers(key) {
      const set = read(key) as Set<string> | undefined;
      return set ? [...set] : [];
    },
    async addExpiring(key, member, ttlSeconds) {
      const members = (read(key) as Map<string, number> | undefined) ?? new Map<string, number>();
      const expiresAt = nowMs() + ttlMs(ttlSeconds);
      members.set(member, expiresAt);
      // Expired members are dropped when counted (or with the whole set), not here: adding stays O(1).
      entries.set(key, { value: members, expiresAt: Math.max(entries.get(key)?.expiresAt ?? 0, expiresAt) });
    },
    async removeExpiring(key, list) {
      const members = read(key) as Map<string, number> | undefined;
      for (const member of list) members?.delete(member);
    },
    async countExpiring(key, among) {
      const members = read(key) as Map<string, number> | undefined;
      if (!members) return 0;
      const now = nowMs();
      let live = 0;
      if (among) {
        for (const member of new Set(among)) if ((members.get(member) ?? 0) > now) live += 1;
        return live;
      }
      for (const [member, expiresAt] of members) {
        if (expiresAt > now) live += 1;
        else members.delete(member);
      }
      return live;
    },
    async addRevocations(list: ReadonlyArray<RevocationEntry>) {
      const now = nowMs();
      for (const { kind, value, expiresAt } of list) {
        if (expiresAt * 1000 > now) entries.set(`rev:${kind}:${value}`, { value: 1, expiresAt: expiresAt * 1000 });
      }
    },
    async checkRevocations(list) {
      if (!revocationsLoaded) return undefined;
      return list.some(({ kind, value }) => read(`rev:${kind}:${value}`) !== undefined);
    },
    async beginRevocationsLoad() {
      loadToken = randomUUID();
      return loadToken;
    },
    async markRevocationsLoaded(token) {
      if (token !== loadToken) return false;
      loadToken = undefined;
      revocationsLoaded = true;
      return true;
    },
    async markRevocationsStale() {
      revocationsLoaded = false;
      loadToken = undefined;
    },
    async ping() {},
    async flush() {
      entries = new Map();
      revocationsLoaded = false;
      loadToken = undefined;
    },
    async close() {
      clearInterval(sweep);
    },
  };
}
