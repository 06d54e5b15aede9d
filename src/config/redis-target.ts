/** Where the store lives, as REDIS_URL says: one server, a Sentinel-managed master, or a Cluster. */
export type RedisTarget =
  | { kind: 'server'; url: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string; db: number; credentials: Credentials; tls: boolean }
  | { kind: 'cluster'; nodes: HostPort[]; credentials: Credentials; tls: boolean };

export interface HostPort {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
}

const DEFAULT_PORT = { sentinel: 26379, cluster: 6379 } as const;

/**
 * Reads REDIS_URL. Besides `redis://` and `rediss://` (one server, as ioredis reads them):
 *   redis+sentinel://[[user]:password@]host:port[,host:port…]/<master name>[/<db>]
 *   redis+cluster://[[user]:password@]host:port[,host:port…]
 * (`rediss+…` for TLS). Several hosts do not fit WHATWG URL parsing, so the authority is split by
 * hand. The credentials are the data nodes'; sentinels are asked without them.
 * Throws an Error whose message says what is wrong (never echoing the password).
 */
export function parseRedisUrl(url: string): RedisTarget {
  const match = /^(rediss?)(?:\+(sentinel|cluster))?:\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?$/.exec(url);
  if (!match) throw new Error('expected redis://, rediss://, redis+sentinel://host:port,…/name or redis+cluster://host:port,…');
  const [, scheme, mode, userinfo, authority = '', path = ''] = match;
  if (!mode) return { kind: 'server', url };

  const tls = scheme === 'rediss';
  const credentials = parseCredentials(userinfo);
  const hosts = authority.split(',').filter(Boolean).map((entry) => parseHostPort(entry, DEFAULT_PORT[mode as 'sentinel' | 'cluster']));
  if (!hosts.length) throw new Error(`redis+${mode}:// needs at least one host:port`);

  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (mode === 'cluster') {
    if (segments.length) throw new Error('redis+cluster:// takes no path (a Cluster has database 0 only)');
    return { kind: 'cluster', nodes: hosts, credentials, tls };
  }
  const [name, db = '0', ...rest] = segments;
  if (!name || rest.length) throw new Error('redis+sentinel:// needs the master name as its path: /<master name>[/<db>]');
  if (!/^\d{1,2}$/.test(db)) throw new Error(`redis+sentinel://: database ${JSON.stringify(db)} is not a number`);
  return { kind: 'sentinel', sentinels: hosts, name, db: Number(db), credentials, tls };
}

function parseCredentials(userinfo: string | undefined): Credentials {
  if (!userinfo) return {};
  const colon = userinfo.indexOf(':');
  const username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
  // `redis://:secret@host` (no user) is the usual way of giving only a password.
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

function parseHostPort(entry: string, defaultPort: number): HostPort {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(entry);
  const port = Number(match?.[2] ?? defaultPort);
  if (!match || port < 1 || port > 65535) throw new Error(`${JSON.stringify(entry)} is not host:port`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}
