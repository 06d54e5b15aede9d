import { applyUserEvent, type GatehouseEvent } from './apply-user-event.js';
import type { UserStore } from './user-store.js';

/** `applied`: the local users changed (or the event concerned none of them); `duplicate`: seen before, ignored. */
export type SyncOutcome = 'applied' | 'duplicate';

/** Applies an event at most once, by its id: the one rule both transports share. */
export function syncEvent(store: UserStore, event: GatehouseEvent): SyncOutcome {
  return store.applyOnce(event.id, (users) => applyUserEvent(users, event)) ? 'applied' : 'duplicate';
}

/** The fields the sync reads, checked before anything is applied (a broken message is not an event). */
export function isGatehouseEvent(value: unknown): value is GatehouseEvent {
  const event = value as Partial<GatehouseEvent> | null;
  return typeof event === 'object' && event !== null && typeof event.id === 'string' && event.id !== ''
    && typeof event.type === 'string' && typeof event.data === 'object' && event.data !== null;
}
