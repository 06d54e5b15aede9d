/**
 * Every event type Gatehouse publishes, with what it means. One list: the outbox, the pull
 * feed's filter, webhook subscriptions, the OpenAPI and AsyncAPI documents all read it.
 */
export const EVENT_TYPES = {
  'user.created': 'A user was created: by an operator, the import, or self-registration (`data.via`).',
  'user.updated': 'A user\'s profile or platform-admin flag changed (`data.user`, `data.previous`).',
  'user.deleted': 'A user was deleted with their memberships and roles; every grant of theirs ends.',
  'user.blocked': 'A user was blocked: every grant and session ended; tokens issued before `time` are revoked.',
  'user.restored': 'A blocked user may sign in again (nothing that blocking revoked comes back).',
  'user.password_changed': 'A user\'s password was set or changed (never the password itself).',
  'user.factor_changed': 'A user\'s second factors changed (never a secret): `data.kind` `totp`, `passkey` or `recovery_codes`; `data.change` `enrolled`, `removed`, `regenerated` (recovery codes) or `reset` (every factor, by an admin, `data.kinds`).',
  'user.email_verified': 'A user\'s email address became verified.',
  'membership.added': 'A user joined a lab.',
  'membership.changed': 'A member\'s role or status in a lab changed.',
  'membership.removed': 'A user left a lab.',
  'lab.created': 'A lab was created.',
  'lab.updated': 'A lab was renamed or otherwise changed.',
  'lab.suspended': 'A lab was suspended: its members cannot act for it.',
  'lab.reactivated': 'A suspended lab is active again.',
  'lab.deleted': 'A lab was deleted with its memberships.',
  'role.granted': 'A user or service client was granted a role on a resource (optionally in one lab).',
  'role.withdrawn': 'A role was withdrawn; tokens issued before introspect without it.',
  'session.ended': 'Browser sessions of a user ended (one, or all); `data.grant_ids` lists the grants that ended with them.',
  'grant.revoked': 'A grant ended (by an operator, on reuse of a refresh token or code, or on revocation); every token from it is revoked.',
  'token.revoked': 'One access token was revoked (`data.jti`, valid until `data.exp`).',
  'client.created': 'A client was registered.',
  'client.updated': 'A client\'s settings changed.',
  'client.deleted': 'A client was deleted and its grants revoked.',
  'client.secret_rotated': 'A client\'s secret was rotated (never the secret itself).',
  'resource.created': 'A resource (API) was registered.',
  'resource.updated': 'A resource\'s roles, scopes or token lifetime changed.',
  'resource.deleted': 'A resource was deleted with its role assignments.',
  'signing_key.rotated': 'A new signing key was published (`data.kid`) and signs from `data.activates_at`.',
  'login.lockout': 'Sign-in for a login name is locked after repeated failures.',
} as const;

export type EventType = keyof typeof EVENT_TYPES;

export const isEventType = (value: string): value is EventType => Object.hasOwn(EVENT_TYPES, value);

/**
 * Events that take access away: what an offline verifier must learn to refuse tokens
 * (`gatehouse/verifier`'s revocation feed follows these).
 */
export const REVOCATION_EVENT_TYPES: readonly EventType[] = ['user.blocked', 'user.deleted', 'session.ended', 'grant.revoked', 'token.revoked'];
