import type { RevocationEntry } from './store.js';

/** Where a feed stands: its epoch (a feed that lost continuity starts a new one) and its last addition. */
export interface FeedPosition {
  epoch: string;
  seq: number;
}

export interface RevocationBroadcastListener {
  /** The addition numbered `seq` (the feed numbers them 1, 2, … within an epoch). */
  revoked(seq: number, entries: RevocationEntry[]): void;
  /** The subscription broke: additions may be missed until `resumed`. */
  interrupted(): void;
  /** Subscribed again (and confirmed): what was missed meanwhile must be loaded anew. */
  resumed(): void;
}

/** What `renew` found: the lease was extended, the follower has not applied every addition yet, or the feed has another epoch. */
export type LeaseRenewal = 'renewed' | 'behind' | 'other-epoch';

/**
 * A shared, ordered feed of revocations with leases, so that every node can answer "is this
 * revoked?" from its own copy without ever answering "no" for a revocation already acknowledged
 * (src/oidc/revocation-mirror.ts). A node follows the feed and holds a lease while it has
 * applied every addition; whoever adds a revocation waits, before acknowledging it, until each
 * lease holder has applied it or its lease has run out. Leases are measured by the feed's
 * clock; a follower trusts its copy only until its own clock says the lease ended, minus a margin
 * for clock drift. A feed that loses its state (flush, restart, failover) starts a new epoch,
 * and additions wait a full lease after that, so leases granted before cannot outlive it.
 */
export interface RevocationBroadcast {
  /** Subscribes; resolves once the subscription is confirmed. The returned function unsubscribes. */
  follow(listener: RevocationBroadcastListener): Promise<() => Promise<void>>;
  /** The feed's epoch and last addition: a follower reads this, then loads the durable list, then applies what follows. */
  position(): Promise<FeedPosition>;
  /** Writes the entries to the shared copy and announces them as the next addition; its number. */
  announce(entries: ReadonlyArray<RevocationEntry>): Promise<number>;
  /** Extends `followerId`'s lease by `leaseMs` if it is on this epoch and has applied every addition. */
  renew(followerId: string, at: FeedPosition, leaseMs: number): Promise<LeaseRenewal>;
  /** Gives `followerId`'s lease back (a process stopping cleanly): revocations no longer wait for it. */
  leave(followerId: string): Promise<void>;
  /** Milliseconds until addition `seq` may be acknowledged: 0 once every live lease holder has applied it. */
  unsettled(seq: number, leaseMs: number): Promise<number>;
  /** Ends the current epoch (the shared copy was found incomplete): followers must load anew. */
  restart(): Promise<void>;
}
