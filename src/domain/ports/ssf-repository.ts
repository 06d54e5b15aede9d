export type SsfDeliveryMethod = 'push' | 'poll';
export type SsfStreamStatus = 'enabled' | 'paused' | 'disabled';

export interface SsfStream {
  id: string;
  /** The receiver: the service client that created it (and alone may manage it). */
  clientId: string;
  eventsRequested: string[];
  deliveryMethod: SsfDeliveryMethod;
  /** Push: where SETs go. Poll: unset (the transmitter's poll endpoint serves it). */
  endpointUrl?: string;
  /** Push: the Authorization header value sent with each SET. */
  authorizationHeader?: string;
  description?: string;
  status: SsfStreamStatus;
  reason?: string;
  createdAt: Date;
}

export interface PendingSet { id: number; streamId: string; jti: string; token: string; attempts: number; endpointUrl?: string; authorizationHeader?: string }

/** Streams and the SETs made for them. */
export interface SsfRepository {
  insertStream(stream: Omit<SsfStream, 'createdAt' | 'status' | 'reason'>): Promise<void>;
  findStream(id: string, clientId?: string): Promise<SsfStream | undefined>;
  streamsOf(clientId: string): Promise<SsfStream[]>;
  updateStream(id: string, change: Partial<Pick<SsfStream, 'eventsRequested' | 'endpointUrl' | 'authorizationHeader' | 'description' | 'status' | 'reason'>>): Promise<void>;
  deleteStream(id: string): Promise<boolean>;
  /** Enabled streams that requested the event type URI. */
  streamsWanting(uri: string): Promise<SsfStream[]>;
  /** Whether any stream takes SETs (enabled or paused; when none does, the relay need not read the outbox). */
  anyStreamTaking(): Promise<boolean>;
  /** Paused streams keep their SETs for later (SSF §8.1.2): they are queued too. */
  enqueue(sets: Array<{ streamId: string; jti: string; token: string }>): Promise<void>;
  /** Push streams' due SETs, leased until `leaseUntil` (rows another node holds are skipped). */
  claimPush(now: Date, limit: number, leaseUntil: Date): Promise<PendingSet[]>;
  finishPush(id: number, outcome: { delivered: boolean; nextAttemptAt?: Date; lastError?: string; failed?: boolean }): Promise<void>;
  /** Poll: the oldest unacknowledged SETs of a stream. */
  pollable(streamId: string, max: number): Promise<Array<{ jti: string; token: string }>>;
  /** Acknowledges (removes) SETs by jti; answers how many were there. */
  acknowledge(streamId: string, jtis: readonly string[]): Promise<number>;
  /** Sweeps SETs made before `time` that were never taken (a receiver that stopped polling, pushes that failed for good). */
  deleteSetsBefore(time: Date): Promise<number>;
}
