import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import { TooManyRequestsError, ValidationError } from '../../../domain/errors.js';
import { eventEnvelope, eventSeenFromLab, type StoredEvent } from '../../../domain/events/domain-event.js';
import type { EventPage } from '../../../domain/events/event-page.js';
import type { EventFilter } from '../../../domain/ports/event-repository.js';
import { eventEnvelopeSchema, eventTypeSchema } from '../../../domain/schemas/event-schemas.js';
import { defineOperation, type ApiOperation } from '../api-operation.js';
import { actorOf, confinedLab, type CallerToken } from '../caller.js';
import type { Services } from '../../../services.js';
import { idSchema, strictObject } from '../schemas.js';

interface FeedQuery { after?: string; since?: string; types?: string; lab?: string; limit: number }

const HEARTBEAT_MS = 15_000;

const cursorSchema = { type: 'string', pattern: '^(0|[1-9][0-9]{0,15}|latest)$', description: 'A cursor from an earlier event (`cursor`) or response (`next`); `latest` starts at the present. Absent: from the oldest event kept.' } as const;

/** `types=a,b` → ['a', 'b'], each checked against the catalogue. */
function typesOf(raw: string | undefined): string[] | undefined {
  return raw ? raw.split(',').map((t) => t.trim()).filter(Boolean) : undefined;
}

/** A live stream checks its token again every this many polls (5 s at the default 200 ms). */
const RECHECK_EVERY_POLLS = 25;

/** Most live streams one caller (a service, a user) holds open at once. */
export const MAX_STREAMS_PER_CALLER = 5;

/**
 * A Server-Sent Events stream of the feed from `after`: each event once, `id:` its cursor, a
 * comment line as heartbeat. It ends when the caller's token expires, and (checked every
 * RECHECK_EVERY_POLLS polls) when the token no longer holds (revoked, the user blocked or no longer an admin): a client
 * reconnects with a fresh token and Last-Event-ID, and loses nothing. `closed` runs once, as
 * soon as the stream is over, however it ended.
 */
function eventStream(read: (after: number) => Promise<EventPage>, after: number, pollMs: number, show: (event: StoredEvent) => object, token: CallerToken | undefined, closed: () => void): Readable {
  async function* frames() {
    let cursor = after;
    let quietSince = Date.now();
    let polls = 0;
    yield `retry: 2000\n\n`;
    for (;;) {
      // The client went away: a generator waiting for events hears of it only here (its
      // return() waits for the next yield), so the place is given back now.
      if (stream.destroyed) {
        release();
        return;
      }
      polls += 1;
      if (token && (Date.now() >= token.expiresAt || (polls % RECHECK_EVERY_POLLS === 0 && !(await token.stillValid())))) {
        yield `: the access token expired or was withdrawn; reconnect with a new one\n\n`;
        return;
      }
      const { events, next } = await read(cursor);
      for (const event of events) yield `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(show(event))}\n\n`;
      cursor = next;
      if (events.length) quietSince = Date.now();
      else {
        if (Date.now() - quietSince >= HEARTBEAT_MS) {
          yield `: heartbeat\n\n`;
          quietSince = Date.now();
        }
        await sleep(Math.min(pollMs, Math.max(0, (token?.expiresAt ?? Infinity) - Date.now())));
      }
    }
  }
  let released = false;
  const release = () => {
    if (!released) closed();
    released = true;
  };
  const stream = Readable.from(frames());
  // The place is given back the moment the stream is destroyed (the client went away): its
  // 'close' comes only once the generator has reached its next step, up to a poll later, and a
  // client reconnecting at the cap would meet a 429 meanwhile.
  const destroyFrames = stream._destroy.bind(stream);
  stream._destroy = (error, callback) => {
    release();
    destroyFrames(error, callback);
  };
  // 'close' comes however the stream ends: the token's end included.
  return stream.once('close', release);
}

/**
 * GET /events: the outbox as a feed with a forward cursor, for services that pull (or follow it
 * live as Server-Sent Events). Lab admins read their lab's events only.
 */
export function createEventOperations({ eventFeed }: Pick<Services, 'eventFeed'>, options: { pollMs: number }): ApiOperation[] {
  // Open streams per caller (bounded: an entry goes when its caller's last stream closes).
  const openStreams = new Map<string, number>();
  return [
    defineOperation<Record<string, never>, FeedQuery>({
      operationId: 'readEvents', method: 'get', path: '/events', tag: 'Events', summary: 'Read the event feed, or follow it live',
      description: 'Events in commit order after `after` (events of one subject are always in the order they happened). '
        + 'Answers a page as JSON with `next`, the cursor to pass as `after` next time. With `Accept: text/event-stream` the '
        + 'answer is a Server-Sent Events stream that stays open and sends each new event as it commits (`id:` is its cursor, so an '
        + 'EventSource that reconnects resumes with Last-Event-ID). Delivery is at least once: drop an `id` you have seen.',
      access: { scope: 'events:read', labAdmin: true },
      query: strictObject({
        after: cursorSchema,
        types: { type: 'string', maxLength: 2000, pattern: '^[a-z_.]+(,[a-z_.]+)*$', description: 'Comma-separated event types.' },
        since: { type: 'string', format: 'date-time', description: 'Only events at or after this time (e.g. a verifier starting up reads back one token lifetime).' },
        lab: { ...idSchema, description: 'Only events concerning this lab (a lab admin: always their own).' },
        limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'Most events in one JSON page.' },
      }),
      responses: {
        200: { description: 'A page of events, or (text/event-stream) a live stream of them.', schema: strictObject({ items: { type: 'array', items: eventEnvelopeSchema }, next: cursorSchema }, ['items', 'next']) },
        400: { description: 'An unknown event type or a malformed cursor.' },
      },
      async handle({ caller, query, accept, lastEventId }) {
        const types = typesOf(query.types);
        const unknown = (types ?? []).map((t, i) => [t, i] as const).filter(([t]) => !eventTypeSchema.enum.includes(t as never));
        if (unknown.length) {
          throw new ValidationError('unknown event type', unknown.map(([t]) => ({ field: 'types', detail: `${t} is not an event type` })));
        }
        const confined = confinedLab(caller);
        const filter: EventFilter = { types, labId: confined ?? query.lab, ...(query.since ? { since: new Date(query.since) } : {}) };
        if (confined !== undefined && query.lab !== undefined && query.lab !== confined) return { body: { items: [], next: query.after ?? '0' } };
        // A lab admin sees their own lab among an event's labs, never the member's other labs.
        const show = (event: StoredEvent) => eventEnvelope(eventSeenFromLab(event, confined));
        const resume = lastEventId && /^\d{1,16}$/.test(lastEventId) ? lastEventId : query.after;
        const after = resume === 'latest' ? await eventFeed.latestCursor() : Number(resume ?? 0);
        if (accept?.includes('text/event-stream')) {
          const who = actorOf(caller);
          const open = openStreams.get(who) ?? 0;
          if (open >= MAX_STREAMS_PER_CALLER) throw new TooManyRequestsError(`at most ${MAX_STREAMS_PER_CALLER} live event streams per caller; close one first`);
          openStreams.set(who, open + 1);
          const closed = () => {
            const left = (openStreams.get(who) ?? 1) - 1;
            if (left > 0) openStreams.set(who, left);
            else openStreams.delete(who);
          };
          return {
            body: eventStream((cursor) => eventFeed.page(cursor, filter, 100), after, options.pollMs, show, caller.token, closed),
            type: 'text/event-stream',
            headers: { 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' },
          };
        }
        const { events, next } = await eventFeed.page(after, filter, query.limit);
        return { body: { items: events.map(show), next: String(next) } };
      },
    }),
  ];
}
