import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Addresses an outbound call must not reach unless allowed: loopback, private, link-local, shared, multicast, reserved. */
const internal = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) internal.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) internal.addSubnet(net, prefix, 'ipv6');

export class ForbiddenDestinationError extends Error {
  override readonly name = 'ForbiddenDestinationError';
}

function isInternal(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return internal.check(mapped, 'ipv4');
  return internal.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * A small SSRF check for calls Gatehouse makes to addresses clients registered (back-channel
 * logout): refuses a host that is, or resolves to, an internal address unless `allowInternal`.
 * It does not pin the resolved address for the request itself (a DNS answer could change
 * between the check and the call); a shared outbound guard should replace it.
 */
export async function assertPublicDestination(url: URL, allowInternal: boolean): Promise<void> {
  if (allowInternal) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  if (!addresses.length || addresses.some(isInternal)) throw new ForbiddenDestinationError(`${url.host} is an internal address`);
}
