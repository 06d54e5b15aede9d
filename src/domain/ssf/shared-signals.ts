import { randomUUID } from 'node:crypto';

import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { EventSink } from '../events/outbox-relay.js';
import { DEFAULT_RETRY_DELAYS_SECONDS } from '../events/webhook-dispatcher.js';
import type { AuditedChange, ChangeOrigin } from '../management/audited-change.js';
import type { Clock } from '../ports/clock.js';
import type { Repositories } from '../ports/repositories.js';
import type { SsfDeliveryMethod, SsfRepository, SsfStream, SsfStreamStatus } from '../ports/ssf-repository.js';
import { securityEventsOf, SSF_EVENT, SSF_EVENTS_SUPPORTED } from './security-events.js';

/** Signs a Security Event Token (RFC 8417: `typ` secevent+jwt) with the issuer's signing key. */
export type SignSecurityEventToken = (claims: Record<string, unknown>) => Promise<string>;

/** POSTs a SET to a push endpoint (RFC 8935); resolves with the receiver's status, rejects when none came. */
export type PushSecurityEventToken = (target: { url: string; authorization?: string }, token: string) => Promise<{ status: number; body: string }>;

export const SSF_DELIVERY = { push: 'urn:ietf:rfc:8935', poll: 'urn:ietf:rfc:8936' } as const;

export interface StreamInput {
  events_requested?: string[];
  delivery?: { method: string; endpoint_url?: string; authorization_header?: string };
  description?: string;
}

/** Most streams one receiver (client) may hold. */
export const MAX_STREAMS_PER_CLIENT = 10;

/**
 * An OpenID Shared Signals Framework 1.0 transmitter over the outbox: receivers (service
 * clients) configure streams; the relay turns users' domain events into CAEP and RISC Security
 * Event Tokens for every stream that asked for them; push streams get them POSTed (retried),
 * poll streams fetch and acknowledge them.
 */
export function createSharedSignals(deps: {
  issuer: string; ssf: SsfRepository; change: AuditedChange; clock: Clock; sign: SignSecurityEventToken; checkUrl: (url: string) => Promise<void>;
  retryDelaysSeconds?: readonly number[];
}) {
  const delays = deps.retryDelaysSeconds ?? DEFAULT_RETRY_DELAYS_SECONDS;
  const pollEndpoint = (streamId: string) => `${deps.issuer}/api/v1/ssf/poll/${streamId}`;

  /** The stream configuration as SSF §8.1.1 shows it. */
  function configuration(stream: SsfStream) {
    return {
      stream_id: stream.id,
      iss: deps.issuer,
      aud: stream.clientId,
      events_supported: SSF_EVENTS_SUPPORTED,
      events_requested: stream.eventsRequested,
      events_delivered: stream.eventsRequested.filter((uri) => SSF_EVENTS_SUPPORTED.includes(uri)),
      delivery: {
        method: SSF_DELIVERY[stream.deliveryMethod],
        endpoint_url: stream.deliveryMethod === 'poll' ? pollEndpoint(stream.id) : stream.endpointUrl,
      },
      ...(stream.description ? { description: stream.description } : {}),
    };
  }

  async function checked(input: StreamInput, current?: SsfStream) {
    const requested = input.events_requested ?? current?.eventsRequested ?? [...SSF_EVENTS_SUPPORTED];
    const method = input.delivery ? Object.entries(SSF_DELIVERY).find(([, urn]) => urn === input.delivery!.method)?.[0] as SsfDeliveryMethod | undefined : current?.deliveryMethod ?? 'poll';
    if (!method) throw new ValidationError('unsupported delivery method', [{ field: 'delivery.method', detail: `must be ${SSF_DELIVERY.push} or ${SSF_DELIVERY.poll}` }]);
    if (current && method !== current.deliveryMethod) throw new ConflictError('the delivery method of a stream cannot change; create another stream', { fields: [{ field: 'delivery.method', detail: 'cannot change' }] });
    const endpointUrl = method === 'push' ? input.delivery?.endpoint_url ?? current?.endpointUrl : undefined;
    if (method === 'push') {
      if (!endpointUrl) throw new ValidationError('a push stream needs an endpoint_url', [{ field: 'delivery.endpoint_url', detail: 'is required for push delivery' }]);
      try {
        await deps.checkUrl(endpointUrl);
      } catch (error) {
        throw new ValidationError('the push endpoint is not allowed', [{ field: 'delivery.endpoint_url', detail: error instanceof Error && 'reason' in error ? String(error.reason) : 'is not allowed' }]);
      }
    }
    return { requested: [...new Set(requested)], method, endpointUrl, authorizationHeader: input.delivery?.authorization_header ?? current?.authorizationHeader };
  }

  async function owned(clientId: string, streamId: string): Promise<SsfStream> {
    const stream = await deps.ssf.findStream(streamId, clientId);
    if (!stream) throw new NotFoundError('stream');
    return stream;
  }

  async function setFor(stream: Pick<SsfStream, 'id' | 'clientId'>, uri: string, body: Record<string, unknown>, subId: Record<string, unknown>, txn?: string) {
    const jti = randomUUID();
    const token = await deps.sign({
      iss: deps.issuer, aud: stream.clientId, iat: Math.floor(deps.clock.now().getTime() / 1000), jti, ...(txn ? { txn } : {}), sub_id: subId, events: { [uri]: body },
    });
    return { streamId: stream.id, jti, token };
  }

  /** The relay's sink: one SET per stream that wants each security event, queued in the relay's transaction. */
  const sink: EventSink = async (events, repos: Repositories) => {
    for (const event of events) {
      for (const security of securityEventsOf(event)) {
        const subId = { format: 'iss_sub', iss: deps.issuer, sub: security.userId };
        const sets = [];
        for (const stream of await repos.ssf.streamsWanting(security.uri)) sets.push(await setFor(stream, security.uri, security.body, subId, security.txn));
        await repos.ssf.enqueue(sets);
      }
    }
  };

  return {
    sink,
    configuration,
    async create(origin: ChangeOrigin, clientId: string, input: StreamInput) {
      // Each stream gets a SET per security event: a client holds a bounded number of them.
      if ((await deps.ssf.streamsOf(clientId)).length >= MAX_STREAMS_PER_CLIENT) {
        throw new ConflictError(`a receiver holds at most ${MAX_STREAMS_PER_CLIENT} streams; delete one first`);
      }
      const { requested, method, endpointUrl, authorizationHeader } = await checked(input);
      const id = randomUUID();
      await deps.change(origin, async (repos, record) => {
        await repos.ssf.insertStream({ id, clientId, eventsRequested: requested, deliveryMethod: method, endpointUrl, authorizationHeader, description: input.description });
        await record('ssf.stream_created', `ssf_stream:${id}`, { clientId, method, eventsRequested: requested });
      });
      return configuration((await deps.ssf.findStream(id))!);
    },
    async list(clientId: string, streamId?: string) {
      if (streamId !== undefined) return configuration(await owned(clientId, streamId));
      return (await deps.ssf.streamsOf(clientId)).map(configuration);
    },
    /** PATCH (merge) or PUT (replace) of the receiver-supplied fields. */
    async update(origin: ChangeOrigin, clientId: string, streamId: string, input: StreamInput, replace: boolean) {
      const current = await owned(clientId, streamId);
      const { requested, endpointUrl, authorizationHeader } = await checked(replace ? { events_requested: [], ...input } : input, current);
      await deps.change(origin, async (repos, record) => {
        await repos.ssf.updateStream(streamId, { eventsRequested: requested, endpointUrl, authorizationHeader, description: input.description ?? (replace ? '' : current.description) });
        await record('ssf.stream_updated', `ssf_stream:${streamId}`, { eventsRequested: requested });
      });
      return configuration((await deps.ssf.findStream(streamId))!);
    },
    async remove(origin: ChangeOrigin, clientId: string, streamId: string) {
      await owned(clientId, streamId);
      await deps.change(origin, async (repos, record) => {
        await repos.ssf.deleteStream(streamId);
        await record('ssf.stream_deleted', `ssf_stream:${streamId}`, {});
      });
    },
    async status(clientId: string, streamId: string) {
      const stream = await owned(clientId, streamId);
      return { stream_id: stream.id, status: stream.status, ...(stream.reason ? { reason: stream.reason } : {}) };
    },
    async setStatus(origin: ChangeOrigin, clientId: string, streamId: string, status: SsfStreamStatus, reason?: string) {
      await owned(clientId, streamId);
      await deps.change(origin, async (repos, record) => {
        await repos.ssf.updateStream(streamId, { status, reason: reason ?? '' });
        await record('ssf.stream_status', `ssf_stream:${streamId}`, { status, reason });
      });
      return this.status(clientId, streamId);
    },
    /** SSF §8.1.4: a verification event with the receiver's `state`, delivered like any other SET. */
    async verify(clientId: string, streamId: string, state?: string) {
      const stream = await owned(clientId, streamId);
      await deps.ssf.enqueue([await setFor(stream, SSF_EVENT.verification, state === undefined ? {} : { state }, { format: 'opaque', id: stream.id })]);
    },
    /** RFC 8936: acknowledge what the receiver took, then return what is pending (waiting up to `waitMs` for some unless told not to). */
    async poll(clientId: string, streamId: string, request: { maxEvents?: number; returnImmediately?: boolean; ack?: string[]; setErrs?: Record<string, unknown> }, waitMs: number) {
      const stream = await owned(clientId, streamId);
      if (stream.deliveryMethod !== 'poll') throw new ConflictError('this stream delivers by push', { fields: [{ field: 'stream_id', detail: 'is a push stream' }] });
      // A SET the receiver reports as erroneous is acknowledged too: sending it again would not help.
      await deps.ssf.acknowledge(streamId, [...(request.ack ?? []), ...Object.keys(request.setErrs ?? {})]);
      const max = request.maxEvents ?? 100;
      if (max === 0) return { sets: {}, moreAvailable: (await deps.ssf.pollable(streamId, 1)).length > 0 };
      const deadline = Date.now() + (request.returnImmediately === false ? waitMs : 0);
      for (;;) {
        const pending = stream.status === 'enabled' ? await deps.ssf.pollable(streamId, max + 1) : [];
        if (pending.length || Date.now() >= deadline) {
          return { sets: Object.fromEntries(pending.slice(0, max).map((s) => [s.jti, s.token])), moreAvailable: pending.length > max };
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    /** Push delivery (RFC 8935) of what is due, retried with the webhooks' schedule; answers how many were tried. */
    async pushDue(push: PushSecurityEventToken, leaseSeconds: number): Promise<number> {
      const now = deps.clock.now();
      const due = await deps.ssf.claimPush(now, 16, new Date(now.getTime() + leaseSeconds * 1000));
      await Promise.all(due.map(async (set) => {
        let error: string | undefined;
        try {
          const response = await push({ url: set.endpointUrl!, authorization: set.authorizationHeader }, set.token);
          if (response.status !== 202 && response.status !== 200) error = `HTTP ${response.status} ${response.body.slice(0, 300)}`;
        } catch (cause) {
          error = cause instanceof Error ? cause.message : String(cause);
        }
        if (error === undefined) return deps.ssf.finishPush(set.id, { delivered: true });
        const delay = delays[set.attempts - 1];
        return deps.ssf.finishPush(set.id, delay === undefined
          ? { delivered: false, failed: true, lastError: error }
          : { delivered: false, nextAttemptAt: new Date(deps.clock.now().getTime() + delay * 1000 * (0.8 + 0.4 * Math.random())), lastError: error });
      }));
      return due.length;
    },
  };
}

export type SharedSignals = ReturnType<typeof createSharedSignals>;
