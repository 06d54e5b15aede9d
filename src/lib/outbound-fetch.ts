import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

import { useAgent } from 'request-filtering-agent';

import { checkOutboundUrl, type OutboundPolicy } from './outbound-request.js';

/** An outbound GET that was made but failed: too slow, too large, or the network. */
export class OutboundFetchError extends Error {
  constructor(readonly code: 'outbound_timeout' | 'outbound_too_large' | 'outbound_unreachable', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutboundFetchError';
  }
}

export interface OutboundFetchOptions {
  policy: OutboundPolicy;
  /** One deadline for the whole call: connecting, the headers and the body. */
  timeoutMs: number;
  /** Largest response body read; a larger one (by Content-Length or as it streams) fails the call. */
  maxBytes: number;
  /** Extra certificate authorities (PEM) trusted besides the system's: a private CA, or a test's. */
  ca?: string;
}

export interface OutboundFetchInit {
  method?: string;
  headers?: HeadersInit;
  signal?: AbortSignal;
}

/** fetch's shape, so it can be handed to code that expects fetch (oidc-provider's `fetch` option). */
export type OutboundFetch = (input: string | URL, init?: OutboundFetchInit) => Promise<Response>;

/**
 * A fetch for URLs that come from outside (client ID metadata documents, a client's jwks_uri),
 * with postOutbound's protections: the URL checked by the policy (outbound-request.ts), the
 * connection refused at connect time if its address is private (request-filtering-agent, so a
 * changed DNS answer cannot reach the internal network), redirects never followed (a 3xx is
 * returned as it is), one deadline and a body size cap.
 *
 * @example
 * const fetchOut = createOutboundFetch({ policy: { allowPrivateNetworks: false, allowHttp: false }, timeoutMs: 2500, maxBytes: 5120 });
 * const response = await fetchOut('https://client.example/metadata.json');
 */
export function createOutboundFetch(options: OutboundFetchOptions): OutboundFetch {
  const ca = options.ca ? [...rootCertificates, options.ca] : undefined;
  return async function outboundFetch(input, init = {}) {
    const url = await checkOutboundUrl(String(input), options.policy);
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = init.signal ? AbortSignal.any([timeout, init.signal]) : timeout;
    const agent = options.policy.allowPrivateNetworks ? undefined : useAgent(url.href, ca ? { ca } : undefined);
    const send = url.protocol === 'https:' ? https.request : http.request;
    const headers = Object.fromEntries(new Headers(init.headers).entries());

    return new Promise<Response>((resolve, reject) => {
      const fail = (error: unknown) => {
        if (error instanceof OutboundFetchError) return reject(error);
        if (timeout.aborted) return reject(new OutboundFetchError('outbound_timeout', `no complete answer within ${options.timeoutMs} ms`, { cause: error }));
        reject(new OutboundFetchError('outbound_unreachable', 'the outbound call failed', { cause: error }));
      };
      const req = send(url, { method: init.method ?? 'GET', headers, signal, ...(agent ? { agent } : {}), ...(ca ? { ca } : {}) }, (res) => {
        readCapped(res, options.maxBytes).then((body) => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of [value ?? []].flat()) responseHeaders.append(name, v);
          }
          const nullBody = [101, 204, 205, 304].includes(res.statusCode ?? 0);
          resolve(new Response(nullBody ? null : new Uint8Array(body), { status: res.statusCode ?? 502, headers: responseHeaders }));
        }, fail);
      });
      req.on('error', fail);
      req.end();
    });
  };
}

async function readCapped(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new OutboundFetchError('outbound_too_large', `the response is larger than ${maxBytes} bytes`);
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of res) {
    received += (chunk as Buffer).length;
    if (received > maxBytes) {
      res.destroy();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
