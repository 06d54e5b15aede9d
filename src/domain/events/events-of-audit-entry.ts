import type { AuditEntry } from '../audit/audit-chain.js';
import type { EventDraft } from './domain-event.js';
import type { EventType } from './event-types.js';

type Details = Record<string, unknown>;
type Derive = (target: Target, details: Details) => EventDraft[];

/** An audit target split into its parts: `lab:L/user:U` → { lab: 'L', user: 'U' }. */
type Target = Record<string, string | undefined>;

function parseTarget(target: string | undefined): Target {
  const parts: Target = {};
  for (const part of (target ?? '').split('/')) {
    const at = part.indexOf(':');
    if (at > 0) parts[part.slice(0, at)] = part.slice(at + 1);
  }
  return parts;
}

const record = (value: unknown): Details | undefined => (value && typeof value === 'object' ? value as Details : undefined);

/** The labs a user record names (`labs: [{ labId }]`), for the lab filter of user events. */
function labsOfUser(...users: Array<Details | undefined>): string[] {
  const ids = new Set<string>();
  for (const user of users) {
    for (const lab of (user?.labs as Array<{ labId?: unknown }> | undefined) ?? []) if (typeof lab.labId === 'string') ids.add(lab.labId);
  }
  return [...ids];
}

/** Keys that must never leave Gatehouse, wherever they sit in a record (defence in depth: records are already views). */
const SECRET_KEY = /secret|password|hash|token|private/i;

export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (!value || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !SECRET_KEY.test(key)).map(([key, inner]) => [key, withoutSecrets(inner)]));
}

const one = (type: EventType, subject: string, labIds: string[], data: Details): EventDraft[] => [{ type, subject, labIds, data: withoutSecrets(data) as Details }];

function userEvent(type: EventType, extra: (details: Details) => Details = () => ({})): Derive {
  return (t, d) => {
    const before = record(d.before);
    const after = record(d.after);
    const user = after ?? before;
    return one(type, `user:${t.user}`, labsOfUser(before, after), { user_id: t.user, ...(user ? { user } : {}), ...extra(d) });
  };
}

const membership = (type: EventType): Derive => (t, d) => one(type, `user:${t.user}`, [t.lab!], {
  user_id: t.user, lab_id: t.lab, ...(d.after ? { membership: d.after } : { membership: d.before }), ...(d.after && d.before ? { previous: d.before } : {}),
});

const lab = (type: EventType): Derive => (t, d) => one(type, `lab:${t.lab}`, [t.lab!], {
  lab_id: t.lab, lab: d.after ?? d.before, ...(d.after && d.before ? { previous: d.before } : {}),
});

const role = (type: EventType): Derive => (t, d) => {
  const assignment = record(d.after ?? d.before) ?? {};
  const holder = t.user !== undefined ? { user_id: t.user } : { client_id: t.client };
  return one(type, t.user !== undefined ? `user:${t.user}` : `client:${t.client}`, typeof assignment.lab === 'string' ? [assignment.lab] : [], { ...holder, ...assignment });
};

const client = (type: EventType): Derive => (t, d) => one(type, `client:${t.client}`, [], { client_id: t.client, client: d.after ?? d.before });

const resource = (type: EventType): Derive => (t, d) => one(type, `resource:${t.resource}`, [], { resource: t.resource, ...(d.after ?? d.before ? { details: d.after ?? d.before } : {}) });

const grantRevoked = (reason: string): Derive => (t, d) => {
  const before = record(d.before);
  return one('grant.revoked', t.user !== undefined ? `user:${t.user}` : `grant:${t.grant}`, typeof before?.labId === 'string' ? [before.labId] : [], {
    grant_id: t.grant, reason, ...(t.user !== undefined ? { user_id: t.user } : {}), ...(before?.clientId ? { client_id: before.clientId } : {}),
  });
};

/** A factor enrolled or removed: its id, kind and, for a passkey, its transports (what kind of authenticator). */
const factorChanged = (change: 'enrolled' | 'removed'): Derive => (t, d) => one('user.factor_changed', `user:${t.user}`, [], {
  user_id: t.user, kind: d.kind, change, factor_id: d.factor_id, ...(Array.isArray(d.transports) ? { transports: d.transports } : {}),
});

/** Grant ids a session opened (`grantOf: { clientId: grantId }`), which end with it. */
const grantsOfSession = (session: Details | undefined): string[] => Object.values(record(session?.grantOf) ?? {}).filter((g): g is string => typeof g === 'string');

/** Audit action → the events it publishes. An action absent here publishes nothing (e.g. `login.succeeded`). */
const DERIVATIONS: Record<string, Derive> = {
  'user.created': userEvent('user.created', () => ({ via: 'management' })),
  'user.registered': userEvent('user.created', () => ({ via: 'registration' })),
  'user.updated': (t, d) => {
    const events = userEvent('user.updated', () => ({ previous: d.before }))(t, d);
    if (record(d.after)?.emailVerified === true && record(d.before)?.emailVerified !== true) events.push(...userEvent('user.email_verified')(t, d));
    return events;
  },
  'user.email_verified': userEvent('user.email_verified'),
  // The address verified by its link (on /account or after registration): it may have changed too.
  'email.verified': (t, d) => [...userEvent('user.updated', () => ({ previous: d.before }))(t, d), ...userEvent('user.email_verified')(t, d)],
  'user.profile_updated': userEvent('user.updated', (d) => ({ previous: d.before })),
  'password_reset.completed': (t) => one('user.password_changed', `user:${t.user}`, [], { user_id: t.user, via: 'reset' }),
  'user.deleted': userEvent('user.deleted'),
  'user.blocked': userEvent('user.blocked', (d) => ({ reason: d.reason })),
  'user.restored': userEvent('user.restored'),
  'user.password_set': (t) => one('user.password_changed', `user:${t.user}`, [], { user_id: t.user }),
  'user.password_changed': (t) => one('user.password_changed', `user:${t.user}`, [], { user_id: t.user }),
  // Second factors are credentials too: a receiver of CAEP credential-change hears of them as of passwords.
  'factor.enrolled': factorChanged('enrolled'),
  'factor.removed': factorChanged('removed'),
  'recovery_codes.regenerated': (t) => one('user.factor_changed', `user:${t.user}`, [], { user_id: t.user, kind: 'recovery_codes', change: 'regenerated' }),
  'factor.reset': (t, d) => one('user.factor_changed', `user:${t.user}`, [], { user_id: t.user, change: 'reset', kinds: Array.isArray(d.kinds) ? d.kinds : [], removed: d.removed }),
  'member.added': membership('membership.added'),
  'member.updated': membership('membership.changed'),
  'member.removed': membership('membership.removed'),
  'lab.created': lab('lab.created'),
  'lab.updated': lab('lab.updated'),
  'lab.suspended': lab('lab.suspended'),
  'lab.reactivated': lab('lab.reactivated'),
  'lab.deleted': lab('lab.deleted'),
  'role.granted': role('role.granted'),
  'role.withdrawn': role('role.withdrawn'),
  'session.revoked': (t, d) => one('session.ended', `user:${t.user}`, [], {
    user_id: t.user, session_id: t.session, all: false, grant_ids: [...new Set(grantsOfSession(record(d.before)))],
  }),
  'sessions.revoked_all': (t, d) => {
    const before = record(d.before);
    return one('session.ended', `user:${t.user}`, typeof d.labId === 'string' ? [d.labId] : [], {
      user_id: t.user, all: true, session_ids: before?.sessions ?? [], grant_ids: before?.grants ?? [],
    });
  },
  // RP-initiated logout: published when the session's user is known.
  'logout': (t, d) => (t.user ? one('session.ended', `user:${t.user}`, [], { user_id: t.user, all: false, reason: 'logout', grant_ids: d.grant_ids ?? [] }) : []),
  'grant.revoked': grantRevoked('revoked'),
  'authorization_code.reuse_detected': grantRevoked('authorization_code_reuse'),
  'refresh_token.reuse_detected': grantRevoked('refresh_token_reuse'),
  // Revoking an access token ends its grant too (unless it was exchanged): both are published,
  // so an offline verifier refuses the grant's other tokens as well.
  'access_token.revoked': (t, d) => [
    ...one('token.revoked', `jti:${t.jti}`, [], { jti: t.jti, sub: d.sub, exp: d.exp, ...(d.grant_id ? { grant_id: d.grant_id } : {}) }),
    ...(d.grant_ended === true && typeof d.grant_id === 'string' ? grantRevoked('token_revoked')({ grant: d.grant_id }, {}) : []),
  ],
  'client.created': client('client.created'),
  'client.updated': client('client.updated'),
  'client.deleted': (t, d) => [
    ...client('client.deleted')(t, d),
    ...(Array.isArray(d.grantIds) ? d.grantIds.filter((g): g is string => typeof g === 'string').flatMap((grant) => grantRevoked('client_deleted')({ grant }, {})) : []),
  ],
  // A client that registered itself (RFC 7591) or changed itself (RFC 7592) is news like any other.
  'client.registered': client('client.created'),
  'client.registration_updated': client('client.updated'),
  'client.secret_rotated': (t, d) => one('client.secret_rotated', `client:${t.client}`, [], { client_id: t.client, previous_secret_expires_at: d.previousSecretExpiresAt ?? null }),
  'resource.created': resource('resource.created'),
  'resource.updated': resource('resource.updated'),
  'resource.deleted': resource('resource.deleted'),
  'signing_key.rotated': (_t, d) => one('signing_key.rotated', 'keys', [], { kid: d.kid, activates_at: d.activatesAt }),
  'login.lockout': (_t, d) => one('login.lockout', `login:${String(d.login)}`, [], { login: d.login, client_id: d.client_id }),
};

/**
 * The domain events an audited change publishes. Derived from the audit entry, so every
 * audited change has its events and both are written in the same transaction.
 */
export function eventsOfAuditEntry(entry: Pick<AuditEntry, 'action' | 'target' | 'details'>): EventDraft[] {
  const derive = DERIVATIONS[entry.action];
  return derive ? derive(parseTarget(entry.target), entry.details) : [];
}
