import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** The User Service's own record of a Gatehouse user (its id is Gatehouse's user id, the tokens' `sub`). */
export interface LocalUser {
  id: string;
  username: string;
  email?: string;
  givenName?: string;
  familyName?: string;
  status: 'active' | 'blocked';
  blockedReason?: string;
  /** lab id → lab role, for active and suspended memberships alike (`labStatus` tells them apart). */
  labs: Record<string, string>;
  labStatus: Record<string, string>;
  /** Roles on resources, `<resource> <role>` or `<resource> <role> @<lab>`. */
  roles: string[];
  /** The last event applied to this record. */
  lastEventId: string;
}

export type UserTable = Record<string, LocalUser>;

/** Where the synced users live. Replace it with your database; keep `applyOnce` atomic. */
export interface UserStore {
  /**
   * Runs `change` on the users and records `eventId` as seen, in one step: false, and nothing
   * changed, when the event was applied before (at-least-once delivery repeats events).
   */
  applyOnce(eventId: string, change: (users: UserTable) => void): boolean;
  get(id: string): LocalUser | undefined;
  all(): LocalUser[];
}

interface StoreFile { users: UserTable; seen: string[] }

/**
 * A JSON file: the whole state (users and the ids of applied events) is rewritten to a temporary
 * file and renamed over the old one, so a crash leaves either the old or the new state, never an
 * applied event that is not marked seen. Synchronous on purpose: two deliveries arriving together
 * (RabbitMQ and a webhook, or two webhooks) cannot interleave between the check and the write.
 * `maxSeen` bounds the remembered ids: a duplicate arrives within Gatehouse's retry window (a day
 * of webhook retries), far fewer events than that for a User Service.
 */
export function createJsonFileUserStore(path: string, options: { maxSeen?: number } = {}): UserStore {
  const maxSeen = options.maxSeen ?? 100_000;
  const state: StoreFile = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as StoreFile : { users: {}, seen: [] };
  const seen = new Set(state.seen);

  function persist(): void {
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ users: state.users, seen: [...seen] }));
    renameSync(temporary, path);
  }

  return {
    applyOnce(eventId, change) {
      if (seen.has(eventId)) return false;
      const users = structuredClone(state.users);
      change(users);
      state.users = users;
      seen.add(eventId);
      // A Set iterates in insertion order: the oldest ids go first.
      for (const id of seen) {
        if (seen.size <= maxSeen) break;
        seen.delete(id);
      }
      persist();
      return true;
    },
    get: (id) => state.users[id],
    all: () => Object.values(state.users),
  };
}
