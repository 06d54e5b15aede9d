import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

import type { Middleware } from 'koa';

/** What every log line written while serving a request carries. */
export interface TraceFields {
  trace_id: string;
  span_id: string;
  request_id?: string;
}

// W3C Trace Context: version-traceid-parentid-flags. Version ff is invalid; all-zero ids are invalid.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The trace id and flags of a valid incoming `traceparent`, else undefined (a new trace starts). */
export function parseTraceparent(header: string | undefined): { traceId: string; flags: string } | undefined {
  const match = header ? TRACEPARENT.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { traceId, flags };
}

/**
 * 16 random hex digits: a UUID's last two groups (62 random bits; only the variant's 2 bits are
 * fixed). Node draws randomUUID from a pre-filled buffer of random bytes, where one randomBytes
 * call per id cost more than the rest of this middleware.
 */
const randomHex16 = () => randomUUID().slice(-17).replace('-', '');
/** 32 hex digits for a trace id: one UUID's (122 random bits; W3C asks only that trace ids be unique and random enough). */
const randomHex32 = () => randomUUID().replaceAll('-', '');

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) for the JSON logs: a request's
 * `traceparent` is accepted (or a trace started when it has none or an invalid one), this
 * server's work is a new span of that trace, and every log line written while serving the
 * request carries `trace_id`, `span_id` and `request_id`. The response carries the span as
 * `traceparent` and as `traceresponse` (Trace Context Level 2), so a caller can find the lines.
 */
export function createTraceContext() {
  const requests = new AsyncLocalStorage<TraceFields>();
  return {
    /** The fields of the request being served, if any. */
    current: (): TraceFields | undefined => requests.getStore(),
    /** Runs after the request id is known. */
    middleware(): Middleware {
      return (ctx, next) => {
        const incoming = parseTraceparent(ctx.get('traceparent') || undefined);
        const traceId = incoming?.traceId ?? randomHex32();
        const spanId = randomHex16();
        const header = `00-${traceId}-${spanId}-${incoming?.flags ?? '01'}`;
        ctx.set('traceparent', header);
        ctx.set('traceresponse', header);
        ctx.state.traceId = traceId;
        return requests.run({ trace_id: traceId, span_id: spanId, request_id: ctx.state.requestId as string | undefined }, next);
      };
    },
  };
}

export type TraceContext = ReturnType<typeof createTraceContext>;
