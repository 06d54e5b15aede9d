import type { AuditEntry } from '../audit/audit-chain.js';
import type { DomainEvent } from './domain-event.js';
import type { IdGenerator } from '../ports/id-generator.js';
import type { Repositories } from '../ports/repositories.js';
import { eventsOfAuditEntry } from './events-of-audit-entry.js';

/** The events an audit entry publishes, each with its id, time and actor. */
export function auditedEvents(entry: AuditEntry, newEventId: IdGenerator): DomainEvent[] {
  return eventsOfAuditEntry(entry).map((draft) => ({ ...draft, id: newEventId(), time: entry.at, actor: entry.actor }));
}

/**
 * Appends an audit entry and the events it publishes through the same repositories: inside a
 * transaction, the change, its audit row and its events commit together or not at all.
 */
export async function appendAuditedEvents(repos: Pick<Repositories, 'audit'>, entry: AuditEntry, newEventId: IdGenerator): Promise<void> {
  await repos.audit.append(entry, auditedEvents(entry, newEventId));
}
