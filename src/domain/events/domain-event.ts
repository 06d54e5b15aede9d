import type { EventType } from './event-types.js';

/** An event as a use case states it; the outbox gives it an id, a time and a place in the order. */
export interface EventDraft {
  type: EventType;
  /** What it is about, and the key of its ordering: `user:<id>`, `lab:<id>`, `client:<id>`, `resource:<uri>`, `grant:<id>`, `jti:<id>`. */
  subject: string;
  /** The labs it concerns (a lab's own events, a member's, a lab-scoped role's); empty for platform-wide ones. */
  labIds: string[];
  /** Identifiers and state only: never a password, secret or token. */
  data: Record<string, unknown>;
}

/** An event as published: a sortable unique id (UUIDv7), its time and who caused it. */
export interface DomainEvent extends EventDraft {
  id: string;
  time: Date;
  actor: string;
}

/** An event read back from the outbox, with its position (the feed's cursor). */
export interface StoredEvent extends DomainEvent {
  seq: number;
}

/** Keeps what one lab may see of a user record: its membership there, and roles global or limited to it. */
function confineUser(value: unknown, labId: string): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const user = value as Record<string, unknown>;
  return {
    ...user,
    ...(Array.isArray(user.labs) ? { labs: user.labs.filter((l: { labId?: unknown }) => l?.labId === labId) } : {}),
    ...(Array.isArray(user.roles) ? { roles: user.roles.filter((r: { lab?: unknown; labId?: unknown }) => (r?.lab ?? r?.labId ?? labId) === labId) } : {}),
  };
}

/**
 * An event as a reader confined to one lab sees it (a lab admin's feed, a lab-scoped webhook):
 * `labIds` is that lab alone, and user records show only the membership and roles of that lab,
 * as the management API shows a member to a lab admin.
 */
export function eventSeenFromLab<E extends DomainEvent>(event: E, labId: string | undefined): E {
  if (labId === undefined) return event;
  const data = { ...event.data };
  for (const key of ['user', 'previous']) if (key in data) data[key] = confineUser(data[key], labId);
  return { ...event, labIds: [labId], data };
}

/** The published JSON shape (the API, webhooks, RabbitMQ and the AsyncAPI document all use it). */
export function eventEnvelope(event: StoredEvent) {
  return {
    id: event.id,
    type: event.type,
    time: event.time.toISOString(),
    actor: event.actor,
    subject: event.subject,
    labs: event.labIds,
    data: event.data,
    cursor: String(event.seq),
  };
}

export type EventEnvelope = ReturnType<typeof eventEnvelope>;
