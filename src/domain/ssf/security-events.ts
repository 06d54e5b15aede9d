import type { StoredEvent } from '../events/domain-event.js';

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type';

export const SSF_EVENT = {
  sessionRevoked: `${CAEP}/session-revoked`,
  credentialChange: `${CAEP}/credential-change`,
  tokenClaimsChange: `${CAEP}/token-claims-change`,
  accountDisabled: `${RISC}/account-disabled`,
  accountEnabled: `${RISC}/account-enabled`,
  accountPurged: `${RISC}/account-purged`,
  verification: 'https://schemas.openid.net/secevent/ssf/event-type/verification',
} as const;

/** What a stream may request (verification events are always delivered). */
export const SSF_EVENTS_SUPPORTED: readonly string[] = [
  SSF_EVENT.sessionRevoked, SSF_EVENT.credentialChange, SSF_EVENT.tokenClaimsChange,
  SSF_EVENT.accountDisabled, SSF_EVENT.accountEnabled, SSF_EVENT.accountPurged,
];

/** One security event to put in a SET: its type URI, its members, and the subject (RFC 9493 `iss_sub`). */
export interface SecurityEvent {
  uri: string;
  body: Record<string, unknown>;
  /** The user it is about. */
  userId: string;
  /** The domain event it comes from: its id is the SET's `txn` (the same change, whatever stream). */
  txn: string;
}

/** CAEP's change_type of each kind of factor change (an admin's reset revokes them). */
const CHANGE_TYPES: Record<string, string> = { enrolled: 'create', removed: 'delete', regenerated: 'update', reset: 'revoke' };

/**
 * CAEP's credential_type of a second factor: `app` for an authenticator app, `fido2-platform` for
 * a passkey built into the device (transport `internal`), `fido2-roaming` for any other passkey;
 * recovery codes have no CAEP type and are sent as `recovery-code` (the spec allows types both
 * sides know; docs/SHARED-SIGNALS.md names it).
 */
function credentialType(kind: unknown, transports: unknown): string | undefined {
  if (kind === 'totp') return 'app';
  if (kind === 'passkey') return Array.isArray(transports) && transports.includes('internal') ? 'fido2-platform' : 'fido2-roaming';
  if (kind === 'recovery_codes') return 'recovery-code';
  return undefined;
}

/** One credential-change per kind of factor the change touched (a reset may touch several). */
function factorCredentialChanges(data: Record<string, unknown>): Array<Record<string, unknown>> {
  const change_type = CHANGE_TYPES[String(data.change)];
  const kinds = data.change === 'reset' && Array.isArray(data.kinds) ? data.kinds : [data.kind];
  return kinds.map((kind) => credentialType(kind, data.transports)).filter((type): type is string => type !== undefined && change_type !== undefined)
    .map((credential_type) => ({ credential_type, change_type, ...(data.change === 'reset' ? { initiating_entity: 'admin' } : {}) }));
}

/**
 * The CAEP and RISC events a domain event means, if any. Only users' events are shared: a
 * receiver learns that a person's sessions ended, their credentials or claims changed, or their
 * account was disabled, enabled or purged.
 */
export function securityEventsOf(event: StoredEvent): SecurityEvent[] {
  const userId = typeof event.data.user_id === 'string' ? event.data.user_id : undefined;
  if (!userId) return [];
  const event_timestamp = Math.floor(event.time.getTime() / 1000);
  const make = (uri: string, body: Record<string, unknown> = {}): SecurityEvent[] => [{ uri, body: { event_timestamp, ...body }, userId, txn: event.id }];
  switch (event.type) {
    case 'session.ended': return make(SSF_EVENT.sessionRevoked, { initiating_entity: event.actor.startsWith('user:') && event.actor === `user:${userId}` ? 'user' : 'admin' });
    case 'user.password_changed': return make(SSF_EVENT.credentialChange, { credential_type: 'password', change_type: 'update' });
    case 'user.factor_changed': return factorCredentialChanges(event.data).flatMap((body) => make(SSF_EVENT.credentialChange, body));
    case 'role.granted':
    case 'role.withdrawn':
      return make(SSF_EVENT.tokenClaimsChange, { claims: { roles: { resource: event.data.resource, role: event.data.role, change: event.type === 'role.granted' ? 'granted' : 'withdrawn', ...(event.data.lab ? { lab_id: event.data.lab } : {}) } } });
    case 'membership.changed':
    case 'membership.removed': {
      const membership = (event.data.membership ?? {}) as Record<string, unknown>;
      return make(SSF_EVENT.tokenClaimsChange, { claims: { lab_id: event.data.lab_id, lab_role: event.type === 'membership.removed' ? null : membership.role ?? null } });
    }
    case 'user.blocked': return make(SSF_EVENT.accountDisabled);
    case 'user.restored': return make(SSF_EVENT.accountEnabled);
    case 'user.deleted': return make(SSF_EVENT.accountPurged);
    default: return [];
  }
}
