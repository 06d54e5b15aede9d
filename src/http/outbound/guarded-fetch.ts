import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';

import { AppError } from '../../domain/errors.js';
import { checkOutboundUrl, type OutboundPolicy, type Resolver } from './ssrf-guard.js';

/** An outbound call that was made but failed: timeout, too large a response, a network error. */
export class OutboundFailedError extends AppError {
  constructor(code: 'outbound_timeout' | 'outbound_too_large' | 'outbound_unreachable', message: string, cause?: unknown) {
    super(code, 502, message, { expose: true, cause });
  }
}

export interface GuardedFetchOptions extends OutboundPolicy {
  /** One deadline for the whole call: connecting, the headers and the body. */
  timeoutMs: number;
  /** Largest response body read; a larger one (by Content-Length or as it streams) fails the call. */
  maxBytes: number;
  /** Extra certificate authorities (PEM) trusted besides the system's: a private CA, or a test's. */
  ca?: string;
  /** DNS resolution; the system resolver unless a test injects one. */
  resolve?: Resolver;
}

export interface GuardedFetchInit {
  method?: string;
  headers?: HeadersInit;
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

/** fetch's shape, so it can be handed to code that expects fetch (oidc-provider's `fetch` option). */
export type GuardedFetch = (input: string | URL, init?: GuardedFetchInit) => Promise<Response>;

/**
 * A fetch for URLs that come from outside (client metadata documents, webhook receivers): only
 * public https addresses (see ssrf-guard.ts), redirects never followed (a 3xx is returned as it
 * is, so a redirect cannot lead to an internal address), a deadline and a body size cap.
 * The connection goes to the address that was checked: the socket's own DNS lookup is replaced,
 * so a second, different DNS answer (rebinding) cannot slip a private address in.
 *
 * @example
 * const fetchOut = createGuardedFetch({ timeoutMs: 2500, maxBytes: 5120 });
 * const response = await fetchOut('https://client.example/metadata.json');
 */
export function createGuardedFetch(options: GuardedFetchOptions): GuardedFetch {
  const ca = options.ca ? [...rootCertificates, options.ca] : undefined;
  return async function guardedFetch(input, init = {}) {
    const { url, addresses } = await checkOutboundUrl(input, options, options.resolve);
    const address = addresses[0]!;
    const family = isIP(address);
    const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
      if ((lookupOptions as { all?: boolean }).all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
      else callback(null, address, family);
    };
    const signals = [AbortSignal.timeout(options.timeoutMs), ...(init.signal ? [init.signal] : [])];
    const signal = AbortSignal.any(signals);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;

    return new Promise<Response>((resolve, reject) => {
      const fail = (error: unknown) => {
        if (error instanceof AppError) return reject(error);
        if (signals[0]!.aborted) return reject(new OutboundFailedError('outbound_timeout', `no complete answer within ${options.timeoutMs} ms`, error));
        reject(new OutboundFailedError('outbound_unreachable', 'the outbound call failed', error));
      };
      const req = send(url, { method: init.method ?? 'GET', headers, lookup: pinned, signal, ...(ca ? { ca } : {}) }, (res) => {
        readCapped(res, options.maxBytes).then((body) => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
          }
          const nullBody = [101, 204, 205, 304].includes(res.statusCode ?? 0);
          resolve(new Response(nullBody ? null : new Uint8Array(body), { status: res.statusCode ?? 502, headers: responseHeaders }));
        }, fail);
      });
      req.on('error', fail);
      if (init.body !== undefined) req.write(init.body);
      req.end();
    });
  };
}

async function readCapped(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw new OutboundFailedError('outbound_too_large', `the response is larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of res) {
    received += (chunk as Buffer).length;
    if (received > maxBytes) {
      res.destroy();
      throw new OutboundFailedError('outbound_too_large', `the response is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
