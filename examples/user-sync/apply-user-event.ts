import type { LocalUser, UserTable } from './user-store.js';

/** The envelope every transport carries (the pull feed, webhooks and RabbitMQ alike). */
export interface GatehouseEvent {
  id: string;
  type: string;
  time: string;
  subject: string;
  data: Record<string, unknown>;
}

/** What the consumer subscribes to: RabbitMQ binding keys, and the webhook subscription's types. */
export const USER_SYNC_BINDINGS = ['user.#', 'membership.#', 'role.#'];
export const USER_SYNC_EVENT_TYPES = [
  'user.created', 'user.updated', 'user.blocked', 'user.restored', 'user.deleted', 'user.email_verified',
  'membership.added', 'membership.changed', 'membership.removed', 'role.granted', 'role.withdrawn',
];

type Fields = Record<string, unknown>;
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const fields = (value: unknown): Fields => (value && typeof value === 'object' ? value as Fields : {});

/** The user's profile as the event states it (`data.user`: Gatehouse's directory view, never a secret). */
function fromUserData(event: GatehouseEvent, known: LocalUser | undefined): LocalUser {
  const user = fields(event.data.user);
  const status = user.status === 'blocked' ? 'blocked' : 'active';
  return {
    id: text(event.data.user_id)!,
    username: text(user.username) ?? known?.username ?? '',
    email: text(user.email),
    givenName: text(user.givenName),
    familyName: text(user.familyName),
    status,
    ...(status === 'blocked' ? { blockedReason: text(event.data.reason) ?? known?.blockedReason } : {}),
    labs: known?.labs ?? Object.fromEntries(((user.labs as Fields[] | undefined) ?? []).map((l) => [String(l.labId), String(l.role)])),
    labStatus: known?.labStatus ?? Object.fromEntries(((user.labs as Fields[] | undefined) ?? []).map((l) => [String(l.labId), String(l.status ?? 'active')])),
    roles: known?.roles ?? [],
    lastEventId: event.id,
  };
}

const roleKey = (data: Fields) => [text(data.resource), text(data.role), ...(text(data.lab) ? [`@${text(data.lab)}`] : [])].join(' ');

/**
 * Applies one event to the local users. Events about users this service has never seen (a
 * membership of a user created before it subscribed) are skipped: backfill from
 * `GET /api/v1/users` once, then follow the events.
 */
export function applyUserEvent(users: UserTable, event: GatehouseEvent): void {
  const userId = text(event.data.user_id);
  if (userId === undefined) return; // a client's role, for instance: not a user
  const known = users[userId];
  switch (event.type) {
    case 'user.created':
    case 'user.updated':
    case 'user.blocked':
    case 'user.restored':
    case 'user.email_verified':
      users[userId] = fromUserData(event, known);
      return;
    case 'user.deleted':
      delete users[userId];
      return;
  }
  if (!known) return;
  const data = event.data;
  if (event.type === 'membership.added' || event.type === 'membership.changed') {
    const membership = fields(data.membership);
    known.labs[String(data.lab_id)] = String(membership.role);
    known.labStatus[String(data.lab_id)] = String(membership.status ?? 'active');
  } else if (event.type === 'membership.removed') {
    delete known.labs[String(data.lab_id)];
    delete known.labStatus[String(data.lab_id)];
  } else if (event.type === 'role.granted') {
    if (!known.roles.includes(roleKey(data))) known.roles.push(roleKey(data));
  } else if (event.type === 'role.withdrawn') {
    known.roles = known.roles.filter((r) => r !== roleKey(data));
  } else {
    return;
  }
  known.lastEventId = event.id;
}
