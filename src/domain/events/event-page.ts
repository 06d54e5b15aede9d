import type { StoredEvent } from './domain-event.js';
import type { EventFilter, EventRepository } from '../ports/event-repository.js';

/** How many positions one read of a filtered feed looks through at most. */
export const SCAN_WINDOW = 10_000;

/** A page of the feed and the cursor to read on from. */
export interface EventPage {
  events: StoredEvent[];
  next: number;
}

/**
 * Reads the feed from `cursor`. A filter that matches little (a rare lab or type) must not make
 * every read — a live stream's, every poll — scan from the same old cursor to the newest event
 * again: a read looks through at most SCAN_WINDOW positions, never past the newest committed one,
 * and when it found less than a full page the cursor moves to the end of what it looked through.
 * That is safe because positions follow commit order (the audit lock orders appends): nothing
 * can later commit at or below the newest position seen.
 */
export async function readEventPage(events: Pick<EventRepository, 'after' | 'latestSeq'>, cursor: number, filter: EventFilter, limit: number): Promise<EventPage> {
  const newest = await events.latestSeq();
  if (newest <= cursor) return { events: [], next: cursor };
  const upTo = Math.min(newest, cursor + SCAN_WINDOW);
  const found = await events.after(cursor, filter, limit, upTo);
  return { events: found, next: found.length === limit ? found.at(-1)!.seq : upTo };
}
