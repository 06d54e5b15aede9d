import type { Clock } from '../../src/domain/ports/clock.js';
import type { BrowserSession, SessionDirectory } from '../../src/domain/ports/session-directory.js';

/**
 * Browser sessions per account, honouring the SessionDirectory contract: only live sessions
 * (by the injected clock), newest login first; `end` is false for a session that is not live.
 */
export function createFakeSessionDirectory(clock: Clock): SessionDirectory & { add(accountId: string, session: BrowserSession): void } {
  const byAccount = new Map<string, BrowserSession[]>();
  const live = (accountId: string) => (byAccount.get(accountId) ?? []).filter((s) => !s.expiresAt || s.expiresAt > clock.now());
  return {
    add(accountId, session) {
      byAccount.set(accountId, [...(byAccount.get(accountId) ?? []), structuredClone(session)]);
    },
    async sessionsOf(accountId) {
      return structuredClone(live(accountId).sort((a, b) => b.loginAt.getTime() - a.loginAt.getTime() || a.id.localeCompare(b.id)));
    },
    async end(accountId, sessionId) {
      if (!live(accountId).some((s) => s.id === sessionId)) return false;
      byAccount.set(accountId, (byAccount.get(accountId) ?? []).filter((s) => s.id !== sessionId));
      return true;
    },
    async endAll(accountId) {
      byAccount.delete(accountId);
    },
    async countLive(accountIds) {
      return (accountIds ? [...new Set(accountIds)] : [...byAccount.keys()]).reduce((sum, accountId) => sum + live(accountId).length, 0);
    },
  };
}
