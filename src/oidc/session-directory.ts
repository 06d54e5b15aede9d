import type { ClientLogout, LogoutNotifier } from '../domain/ports/logout-notifier.js';
import type { BrowserSession, SessionDirectory } from '../domain/ports/session-directory.js';
import type { Store } from '../domain/ports/store.js';

/** The store key of the set listing an account's session keys (the adapter keeps it on every Session upsert). */
export const accountSessionsKey = (accountId: string) => `oidc:account-sessions:${accountId}`;

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
      deps.logouts?.notify(found.logouts);
      return true;
    },
    async endAll(accountId) {
      const ending = deps.logouts ? await live(accountId) : [];
      const keys = await deps.store.setMembers(accountSessionsKey(accountId));
      await deps.store.delete([...keys, accountSessionsKey(accountId)]);
      deps.logouts?.notify(ending.flatMap((s) => s.logouts));
    },
  };
}
