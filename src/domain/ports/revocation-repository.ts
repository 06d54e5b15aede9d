import type { RevocationEntry } from './store.js';

/** The durable revocation list: the authority the store's copy is loaded from. */
export interface RevocationRepository {
  add(entries: ReadonlyArray<RevocationEntry>): Promise<void>;
  anyRevoked(entries: ReadonlyArray<Pick<RevocationEntry, 'kind' | 'value'>>): Promise<boolean>;
  live(): Promise<RevocationEntry[]>;
  deleteExpired(): Promise<number>;
}
