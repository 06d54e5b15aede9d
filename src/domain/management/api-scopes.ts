/** The management API's scopes: what a service (or a user's application) needs, one per family of operations. */
export const API_SCOPES = {
  'users:read': 'Read users, their memberships, roles and sessions; batch and role lookups.',
  'users:write': 'Create, change, block, restore and delete users; grant and withdraw roles; end sessions.',
  'users:factors': 'Reset a user\'s second factors (TOTP apps, passkeys, recovery codes).',
  'labs:read': 'Read labs and their members.',
  'labs:write': 'Create, change, suspend and delete labs; add, change and remove members.',
  'clients:read': 'Read resources and clients (never their secrets).',
  'clients:write': 'Create, change and delete resources and clients; rotate client secrets.',
  'audit:read': 'Query, export and verify the audit log; read statistics.',
  'keys:read': 'List the signing keys (never their private parts).',
  'keys:write': 'Rotate the signing key (a new key published at once, signing now or later).',
  'events:read': 'Read the event feed and follow it live (lab admins: their lab\'s events).',
  'webhooks:read': 'Read webhook subscriptions and their delivery log.',
  'webhooks:write': 'Create, change and delete webhook subscriptions; redeliver.',
  'ssf:manage': 'Shared Signals receivers: configure their own streams, poll and acknowledge SETs.',
} as const;

export type ApiScope = keyof typeof API_SCOPES;
