import type { DomainEvent } from '../../src/domain/events/domain-event.js';
import type { EventRepository } from '../../src/domain/ports/event-repository.js';
import { copy, type FakeState } from './fake-state.js';

/** Appends to the outbox held in FakeState: positions count up from 1 in append order (one writer at a time, as the audit lock makes it on Postgres). */
export function appendFakeEvents(state: FakeState, events: readonly DomainEvent[]): void {
  for (const event of events) state.events.push({ ...copy(event), data: JSON.parse(JSON.stringify(event.data)) as Record<string, unknown>, seq: (state.events.at(-1)?.seq ?? 0) + 1 });
}

/** The outbox held in FakeState. */
export function createFakeEventRepository(state: FakeState): EventRepository {
  return {
    async after(seq, filter, limit, upTo = Infinity) {
      return state.events
        .filter((e) => e.seq > seq && e.seq <= upTo && (!filter.types?.length || filter.types.includes(e.type)) && (filter.labId === undefined || e.labIds.includes(filter.labId)) && (filter.since === undefined || e.time >= filter.since))
        .slice(0, limit)
        .map((e) => copy(e));
    },
    async latestSeq() {
      return state.events.at(-1)?.seq ?? 0;
    },
    async deleteBefore(time) {
      const before = state.events.length;
      state.events = state.events.filter((e) => e.time >= time);
      return before - state.events.length;
    },
  };
}
