import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';

import ipaddr from 'ipaddr.js';
import { useAgent } from 'request-filtering-agent';

/** Where Gatehouse may send requests it is told to send (webhooks, logout tokens, metadata documents). */
export interface OutboundPolicy {
  /** Private, loopback, link-local and reserved addresses: refused unless allowed (tests, a private network by design). */
  allowPrivateNetworks: boolean;
  /** Plain http: refused unless allowed (development). */
  allowHttp: boolean;
}

/** A target refused by the policy; `reason` is safe to show to whoever configured it. */
export class OutboundRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`outbound request refused: ${reason}`);
    this.name = 'OutboundRefusedError';
  }
}

const isPublicUnicast = (address: string) => ipaddr.process(address).range() === 'unicast';

/**
 * Checks a URL before it is stored: scheme, credentials, and every address its host resolves
 * to now. Requests are checked again when they connect (DNS may change), by the agent.
 */
export async function checkOutboundUrl(raw: string, policy: OutboundPolicy): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefusedError('is not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) throw new OutboundRefusedError(policy.allowHttp ? 'must use http or https' : 'must use https');
  if (url.username || url.password) throw new OutboundRefusedError('must not carry credentials');
  if (url.hash) throw new OutboundRefusedError('must not have a fragment');
  if (policy.allowPrivateNetworks) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = ipaddr.isValid(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    throw new OutboundRefusedError('has a host that does not resolve');
  }
  if (!addresses.every(isPublicUnicast)) throw new OutboundRefusedError('points to a private, loopback, link-local or reserved address');
  return url;
}

export interface OutboundResponse {
  status: number;
  /** The start of the body, for a delivery log (at most `maxResponseBytes`). */
  body: string;
}

/**
 * POSTs through an agent that refuses private and reserved addresses at connect time (so a DNS
 * answer that changed since the URL was checked cannot reach the internal network), with a
 * timeout over the whole exchange, no redirects followed, and a cap on what is read back.
 */
export async function postOutbound(
  target: string,
  request: { headers: Record<string, string>; body: string; timeoutMs: number; maxResponseBytes?: number },
  policy: OutboundPolicy,
): Promise<OutboundResponse> {
  const url = await checkOutboundUrl(target, policy);
  const maxBytes = request.maxResponseBytes ?? 4096;
  const agent = policy.allowPrivateNetworks ? undefined : useAgent(url.href);
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise<OutboundResponse>((resolve, reject) => {
    const req = send(url, {
      method: 'POST', agent, headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) }, timeout: request.timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < maxBytes) chunks.push(chunk.subarray(0, maxBytes - size));
        size += chunk.length;
      });
      res.on('end', () => { clearTimeout(deadline); resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }); });
      res.on('error', (error) => { clearTimeout(deadline); reject(error); });
    });
    // `timeout` above is idle time on the socket; this bounds the whole exchange.
    const deadline = setTimeout(() => req.destroy(new Error(`timed out after ${request.timeoutMs} ms`)), request.timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`timed out after ${request.timeoutMs} ms`)));
    req.on('error', (error) => { clearTimeout(deadline); reject(error); });
    req.end(request.body);
  });
}
