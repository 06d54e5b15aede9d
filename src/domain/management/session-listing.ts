import type { AccountGrant } from '../ports/grant-origin-repository.js';
import type { BrowserSession, SessionDirectory } from '../ports/session-directory.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { AccessTerminator } from '../users/access-terminator.js';
import type { AuditedChange, ChangeOrigin } from './audited-change.js';

/** A browser session as listed to an admin. */
export type ListedSession = Omit<BrowserSession, 'grantOf'>;

export interface SessionListingDeps {
  users: { findById(id: string): Promise<{ isAdmin: boolean } | undefined> };
  labs: { findMember(labId: string, userId: string): Promise<unknown> };
  grantOrigins: { grantsOfAccount(accountId: string): Promise<AccountGrant[]> };
  sessions: SessionDirectory;
  grants: { revokeGrant(grantId: string): Promise<void> };
  access: AccessTerminator;
  change: AuditedChange;
}

/**
 * A user's browser sessions and grants ("devices"), and ending them. `confinedTo` is set for lab
 * admins: users outside their lab are reported as not found, and of a member's grants they see
 * and revoke those acting in their lab or in none, never one acting in another lab (it would
 * tell them about that lab).
 * Ending one browser session only stops single sign-on from it; the grants it created live on
 * until revoked, so "sign out everywhere" is the DELETE of all sessions, which also revokes grants.
 */
export function createSessionListing(deps: SessionListingDeps) {
  async function assertVisible(userId: string, confinedTo: string | undefined): Promise<void> {
    const user = await deps.users.findById(userId);
    if (!user || (confinedTo !== undefined && !(await deps.labs.findMember(confinedTo, userId)))) throw new NotFoundError('user');
  }

  /** Ending a platform admin's sessions is for other platform admins (a service could otherwise lock every admin out). */
  async function assertMayEnd(userId: string, confinedTo: string | undefined, mayTouchAdmin: boolean): Promise<void> {
    await assertVisible(userId, confinedTo);
    if (!mayTouchAdmin && (await deps.users.findById(userId))?.isAdmin) throw new ForbiddenError('only platform admins may end a platform admin\'s sessions');
  }

  async function visibleGrants(userId: string, confinedTo: string | undefined): Promise<AccountGrant[]> {
    const grants = await deps.grantOrigins.grantsOfAccount(userId);
    return confinedTo === undefined ? grants : grants.filter((g) => g.labId === undefined || g.labId === confinedTo);
  }

  /**
   * Revocation touches the store and the revocation list, which no database transaction can
   * hold (and the embedded database has one connection a transaction would keep), so it runs
   * first and is recorded once done: a failure to record leaves access ended, never the reverse.
   */
  async function audited(origin: ChangeOrigin, action: string, target: string, details: Record<string, unknown>): Promise<void> {
    await deps.change(origin, (_repos, record) => record(action, target, details));
  }

  return {
    /** Sessions as shown: which grant each client holds stays inside (it may belong to another lab). */
    async list(userId: string, confinedTo?: string): Promise<{ sessions: ListedSession[]; grants: AccountGrant[] }> {
      await assertVisible(userId, confinedTo);
      const [sessions, grants] = await Promise.all([deps.sessions.sessionsOf(userId), visibleGrants(userId, confinedTo)]);
      // A lab admin sees which applications a session opened only through grants they may see.
      const visible = new Set(grants.map((g) => g.id));
      const shown = ({ grantOf, ...session }: BrowserSession): ListedSession => (confinedTo === undefined
        ? session
        : { ...session, clients: session.clients.filter((c) => visible.has(grantOf[c] ?? '')) });
      return { sessions: sessions.map(shown), grants };
    },

    async endSession(origin: ChangeOrigin, userId: string, sessionId: string, confinedTo: string | undefined, mayTouchAdmin: boolean): Promise<void> {
      await assertMayEnd(userId, confinedTo, mayTouchAdmin);
      const found = (await deps.sessions.sessionsOf(userId)).find((s) => s.id === sessionId);
      if (!found || !(await deps.sessions.end(userId, sessionId))) throw new NotFoundError('session');
      const { grantOf: _grants, ...before } = found;
      await audited(origin, 'session.revoked', `user:${userId}/session:${sessionId}`, { before });
    },

    async revokeGrant(origin: ChangeOrigin, userId: string, grantId: string, confinedTo: string | undefined, mayTouchAdmin: boolean): Promise<void> {
      await assertMayEnd(userId, confinedTo, mayTouchAdmin);
      const grant = (await visibleGrants(userId, confinedTo)).find((g) => g.id === grantId);
      if (!grant) throw new NotFoundError('grant');
      await deps.grants.revokeGrant(grantId);
      await audited(origin, 'grant.revoked', `user:${userId}/grant:${grantId}`, { before: { clientId: grant.clientId, createdAt: grant.createdAt, labId: grant.labId } });
    },

    /**
     * "Sign out everywhere else": every browser session but `keepSessionId` ends, and every grant
     * but those that session holds is revoked (grants outlive sessions: a phone app's refresh
     * token has no browser session), so only the device the person is using keeps access.
     */
    async endOthers(origin: ChangeOrigin, userId: string, keepSessionId: string): Promise<{ sessions: number; grants: number }> {
      await assertVisible(userId, undefined);
      const [sessions, grants] = await Promise.all([deps.sessions.sessionsOf(userId), visibleGrants(userId, undefined)]);
      const kept = sessions.find((s) => s.id === keepSessionId);
      const keptGrants = new Set(Object.values(kept?.grantOf ?? {}));
      const endedSessions = sessions.filter((s) => s.id !== keepSessionId);
      const revoked = grants.filter((g) => !keptGrants.has(g.id));
      for (const session of endedSessions) await deps.sessions.end(userId, session.id);
      for (const grant of revoked) await deps.grants.revokeGrant(grant.id);
      await audited(origin, 'sessions.revoked_others', `user:${userId}`, {
        kept: keepSessionId, before: { sessions: endedSessions.map((s) => s.id), grants: revoked.map((g) => g.id) },
      });
      return { sessions: endedSessions.length, grants: revoked.length };
    },

    /** Every session, and every grant (a lab admin: every grant they can see). */
    async endAll(origin: ChangeOrigin, userId: string, confinedTo: string | undefined, mayTouchAdmin: boolean): Promise<void> {
      await assertMayEnd(userId, confinedTo, mayTouchAdmin);
      const [sessions, grants] = await Promise.all([deps.sessions.sessionsOf(userId), visibleGrants(userId, confinedTo)]);
      if (confinedTo === undefined) {
        await deps.access.endAllAccessOf(userId);
      } else {
        for (const grant of grants) await deps.grants.revokeGrant(grant.id);
        await deps.sessions.endAll(userId);
      }
      await audited(origin, 'sessions.revoked_all', `user:${userId}`, {
        before: { sessions: sessions.map((s) => s.id), grants: grants.map((g) => g.id) },
        ...(confinedTo !== undefined ? { labId: confinedTo } : {}),
      });
    },
  };
}

export type SessionListing = ReturnType<typeof createSessionListing>;
