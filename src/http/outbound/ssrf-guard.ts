import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

import { AppError } from '../../domain/errors.js';

/** An outbound URL Gatehouse refuses to call (scheme, credentials, or an address that is not public). */
export class OutboundRefusedError extends AppError {
  constructor(message: string) {
    super('outbound_refused', 400, message, { expose: true });
  }
}

/** What outbound calls may reach. Both relaxations exist for tests and private deployments only. */
export interface OutboundPolicy {
  /** Plain http as well as https. */
  allowHttp?: boolean;
  /** Loopback, private, link-local and other special-use addresses. */
  allowPrivateAddresses?: boolean;
}

/**
 * Special-use ranges (IANA IPv4/IPv6 special-purpose registries): loopback, RFC 1918, CGNAT,
 * link-local (cloud metadata lives at 169.254.169.254), multicast, documentation, benchmarking,
 * unique-local IPv6, NAT64 and 6to4 (which can embed any IPv4 address). None is a place a
 * client's metadata document or a webhook receiver legitimately lives on the public internet.
 */
const notPublic = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) notPublic.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) notPublic.addSubnet(net, prefix, 'ipv6');

/** Whether an IP address is on the public internet (IPv4-mapped IPv6 is judged as the IPv4 it carries). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return isPublicAddress(mapped[1]!);
    // ::ffff:0:0/96 written in hex (::ffff:7f00:1) is IPv4-mapped too.
    if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/i.test(address)) return false;
    return !notPublic.check(address, 'ipv6');
  }
  return !notPublic.check(address, 'ipv4');
}

/** Refuses a URL by its form alone: scheme, embedded credentials. */
export function assertOutboundUrl(input: string | URL, policy: OutboundPolicy = {}): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new OutboundRefusedError('not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) {
    throw new OutboundRefusedError(policy.allowHttp ? 'only http and https URLs are called' : 'only https URLs are called');
  }
  if (url.username || url.password) throw new OutboundRefusedError('URLs with credentials are not called');
  return url;
}

/** Refuses an address that is not public (unless the policy allows private ones). */
export function assertAddressAllowed(address: string, policy: OutboundPolicy = {}): void {
  if (!policy.allowPrivateAddresses && !isPublicAddress(address)) {
    throw new OutboundRefusedError('the host resolves to a private, loopback or special-use address');
  }
}

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) => new Promise((resolve, reject) => {
  dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
});

/**
 * Checks a URL the way an outbound call will use it: its form, then every address its host
 * resolves to (one private address among public ones is enough to refuse: the connection could
 * pick it). Returns the URL and the addresses. A caller that then connects must connect to one
 * of these addresses or check again at connect time (guardedFetch does), or DNS rebinding
 * could swap a public answer for a private one in between.
 */
export async function checkOutboundUrl(input: string | URL, policy: OutboundPolicy = {}, resolve: Resolver = systemResolver): Promise<{ url: URL; addresses: string[] }> {
  const url = assertOutboundUrl(input, policy);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = (await resolve(host)).map((a) => a.address);
    } catch {
      throw new OutboundRefusedError('the host does not resolve');
    }
  }
  if (!addresses.length) throw new OutboundRefusedError('the host does not resolve');
  for (const address of addresses) assertAddressAllowed(address, policy);
  return { url, addresses };
}
