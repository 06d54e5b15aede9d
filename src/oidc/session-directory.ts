import type { ClientLogout, LogoutNotifier } from '../domain/ports/logout-notifier.js';
import type { BrowserSession, SessionDirectory } from '../domain/ports/session-directory.js';
import type { Store } from '../domain/ports/store.js';

/** The store key of the set listing an account's session keys (the adapter keeps it on every Session upsert). */
export const accountSessionsKey = (accountId: string) => `oidc:account-sessions:${accountId}`;

/**
 * The store key of every account's live session keys, each expiring with its session: what makes
 * counting them one store read. The adapter adds a session on every upsert and removes it on
 * destroy; ending sessions here removes them too. A session saved before this index existed is
 * counted from its next save (oidc-provider saves a session on each request that uses it).
 */
export const LIVE_SESSIONS_KEY = 'oidc:live-sessions';

// Accounts whose session sets are read at once when counting some accounts' sessions.
const SET_READS_IN_FLIGHT = 500;

/** The fields of oidc-provider's Session payload read here. */
interface StoredSession {
  uid?: string;
  accountId?: string;
  loginTs?: number;
  iat?: number;
  exp?: number;
  authorizations?: Record<string, { grantId?: string; sid?: string } | undefined>;
}

const fromEpoch = (seconds: number | undefined) => (typeof seconds === 'number' ? new Date(seconds * 1000) : undefined);

interface LiveSession { key: string; session: BrowserSession; logouts: ClientLogout[] }

/**
 * Browser sessions per account, read from how the adapter stores oidc-provider's Session model.
 * Keys of ended sessions linger in the account's set; they read as absent. Ending sessions here
 * (the API, blocking, deleting, a new password) tells their clients by back-channel logout.
 */
export function createSessionDirectory(deps: { store: Store; now?: () => number; logouts?: LogoutNotifier }): SessionDirectory {
  const now = deps.now ?? Date.now;

  async function live(accountId: string): Promise<LiveSession[]> {
    const keys = await deps.store.setMembers(accountSessionsKey(accountId));
    const nowSeconds = now() / 1000;
    const read = await Promise.all(keys.map(async (key) => ({ key, payload: await deps.store.getJson<StoredSession>(key) })));
    const byId = new Map<string, LiveSession>();
    for (const { key, payload } of read) {
      if (!payload || payload.accountId !== accountId || typeof payload.uid !== 'string') continue;
      if (typeof payload.exp === 'number' && payload.exp <= nowSeconds) continue;
      const authorizations = payload.authorizations ?? {};
      byId.set(payload.uid, {
        key,
        session: {
          id: payload.uid,
          loginAt: fromEpoch(payload.loginTs ?? payload.iat) ?? new Date(0),
          expiresAt: fromEpoch(payload.exp),
          clients: Object.keys(authorizations).sort(),
          grantOf: Object.fromEntries(Object.entries(authorizations).map(([clientId, a]) => [clientId, a?.grantId])),
        },
        logouts: Object.entries(authorizations).map(([clientId, a]) => ({ clientId, accountId, ...(a?.sid ? { sid: a.sid } : {}) })),
      });
    }
    return [...byId.values()].sort((a, b) => b.session.loginAt.getTime() - a.session.loginAt.getTime() || a.session.id.localeCompare(b.session.id));
  }

  return {
    sessionsOf: async (accountId) => (await live(accountId)).map((s) => s.session),
    async end(accountId, sessionId) {
      const found = (await live(accountId)).find((s) => s.session.id === sessionId);
      if (!found) return false;
      await deps.store.delete([found.key]);
      await deps.store.removeExpiring(LIVE_SESSIONS_KEY, [found.key]);
      deps.logouts?.notify(found.logouts);
      return true;
    },
    async endAll(accountId) {
      const ending = deps.logouts ? await live(accountId) : [];
      const keys = await deps.store.setMembers(accountSessionsKey(accountId));
      await deps.store.delete([...keys, accountSessionsKey(accountId)]);
      await deps.store.removeExpiring(LIVE_SESSIONS_KEY, keys);
      deps.logouts?.notify(ending.flatMap((s) => s.logouts));
    },
    async countLive(accountIds) {
      if (!accountIds) return deps.store.countExpiring(LIVE_SESSIONS_KEY);
      // An account's set may still list ended sessions: the live index says which are not.
      const keys: string[] = [];
      for (let i = 0; i < accountIds.length; i += SET_READS_IN_FLIGHT) {
        const sets = await Promise.all(accountIds.slice(i, i + SET_READS_IN_FLIGHT).map((id) => deps.store.setMembers(accountSessionsKey(id))));
        keys.push(...sets.flat());
      }
      return keys.length ? deps.store.countExpiring(LIVE_SESSIONS_KEY, keys) : 0;
    },
  };
}
