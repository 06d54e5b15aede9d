import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** oidc-provider's own request body limit (lib/shared/selective_body.js): what reads a body first keeps to it. */
export const PROVIDER_BODY_LIMIT = 56 * 1024;

/**
 * The request as oidc-provider expects it: a stream it reads the body from (it reads `req`
 * itself, and warns on the console when it finds the body already consumed). The same bytes are
 * replayed from a fresh stream; everything else (headers, socket, URL) is the original request's.
 */
export function replayable(req: IncomingMessage, bytes: Buffer): IncomingMessage {
  const replay = Readable.from([bytes]);
  return new Proxy(replay, {
    get(target, property) {
      const source: object = property in target ? target : req;
      const value = Reflect.get(source, property, source) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(source) : value;
    },
  }) as unknown as IncomingMessage;
}
