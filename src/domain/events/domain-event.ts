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
