/**
 * The event types that take access away, as Gatehouse's feed names them.
 * @internal
 */
const REVOCATION_TYPES = ['user.blocked', 'user.deleted', 'session.ended', 'grant.revoked', 'token.revoked'];

/** What a service learns to refuse from the feed, checked per token without any network call. */
export interface RevocationFeedOptions {
  /** Gatehouse's issuer URL. */
  issuer: string;
  /** The event feed. Default `<issuer>/api/v1/events`. */
  feedUrl?: string;
  /**
   * A bearer token for the feed (a service client's client-credentials token with the
   * `events:read` scope for Gatehouse's management API — see {@link clientCredentialsToken}).
   * Called before each read; cache inside it.
   */
  accessToken: () => Promise<string>;
  /** How often (ms) the feed is read. Default 1000: a revocation is refused within about a second. */
  pollIntervalMs?: number;
  /** How long (ms) after the last successful read the copy counts as stale. Default 30000. */
  staleAfterMs?: number;
  /**
   * The longest access-token lifetime Gatehouse issues (seconds). A revoked grant or a blocked
   * user is remembered this long (every token it covers has expired by then), and the first read
   * reaches back this far. Default 86400.
   */
  maxTokenLifetimeSeconds?: number;
  /** Timeout (ms) of each read. Default 5000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Told when a read fails (the feed keeps trying). */
  onError?: (error: unknown) => void;
}

/** The claims a revocation check looks at (Gatehouse's access tokens carry all of them). */
export interface RevocableToken {
  jti: string;
  sub: string;
  iat: number;
  grant_id?: string;
}

/**
 * An in-memory copy of what Gatehouse has revoked, kept fresh from its event feed. Give it to
 * `createVerifier({ revocations: { feed } })`.
 */
export interface RevocationFeed {
  /** Reads the feed until caught up, then keeps reading every `pollIntervalMs`. Resolves after the first full read. */
  start(): Promise<void>;
  /** Stops reading (the copy then goes stale). */
  stop(): void;
  /** True when the token was revoked: its `jti`, its grant, or its subject blocked or deleted after it was issued. */
  isRevoked(token: RevocableToken): boolean;
  /** True before the first full read and when the last successful read is older than `staleAfterMs`. */
  readonly stale: boolean;
  /** How many revocations are remembered now (jti + grants + subjects). */
  readonly size: number;
}

interface FeedEvent { type: string; time: string; subject: string; data: Record<string, unknown>; cursor: string }

/**
 * Follows Gatehouse's event feed (`GET /api/v1/events`, JSON pages by cursor) for the events that
 * revoke access, and answers {@link RevocationFeed.isRevoked} from memory. Each entry is kept
 * until the tokens it covers have expired, so memory stays proportional to recent revocations.
 *
 * @example
 * ```ts
 * import { clientCredentialsToken, createRevocationFeed, createVerifier } from '@gatehouse/verifier';
 *
 * const issuer = 'https://id.example.org';
 * const feed = createRevocationFeed({
 *   issuer,
 *   accessToken: clientCredentialsToken({ issuer, clientId: 'cms-api', clientSecret: process.env.CMS_API_SECRET!, resource: `${issuer}/api`, scope: 'events:read' }),
 * });
 * await feed.start();
 * const verifier = createVerifier({ issuer, audience: 'https://cms.example', revocations: { feed } });
 * ```
 */
export function createRevocationFeed(options: RevocationFeedOptions): RevocationFeed {
  const issuer = options.issuer.replace(/\/+$/, '');
  const feedUrl = options.feedUrl ?? `${issuer}/api/v1/events`;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  const lifetimeMs = (options.maxTokenLifetimeSeconds ?? 86_400) * 1000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const fetchImpl = options.fetch ?? globalThis.fetch;

  // value: until when (epoch ms) the entry matters
  const jtis = new Map<string, number>();
  const grants = new Map<string, number>();
  // value: [revoked since (epoch seconds), until (epoch ms)]
  const subjects = new Map<string, [number, number]>();
  let cursor: string | undefined;
  let lastSuccess = 0;
  let synced = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  function apply(event: FeedEvent): void {
    const at = Date.parse(event.time);
    const data = event.data;
    const forget = at + lifetimeMs;
    if (event.type === 'token.revoked' && typeof data.jti === 'string') jtis.set(data.jti, typeof data.exp === 'number' ? data.exp * 1000 : forget);
    if (event.type === 'grant.revoked' && typeof data.grant_id === 'string') grants.set(data.grant_id, forget);
    if (event.type === 'session.ended' && Array.isArray(data.grant_ids)) for (const id of data.grant_ids) if (typeof id === 'string') grants.set(id, forget);
    if ((event.type === 'user.blocked' || event.type === 'user.deleted') && typeof data.user_id === 'string') {
      const since = Math.floor(at / 1000);
      const known = subjects.get(data.user_id);
      subjects.set(data.user_id, [Math.max(since, known?.[0] ?? 0), forget]);
    }
  }

  function sweep(now: number): void {
    for (const [key, until] of jtis) if (until <= now) jtis.delete(key);
    for (const [key, until] of grants) if (until <= now) grants.delete(key);
    for (const [key, [, until]] of subjects) if (until <= now) subjects.delete(key);
  }

  async function readPage(): Promise<number> {
    const url = new URL(feedUrl);
    url.searchParams.set('types', REVOCATION_TYPES.join(','));
    url.searchParams.set('limit', '1000');
    if (cursor !== undefined) url.searchParams.set('after', cursor);
    else url.searchParams.set('since', new Date(Date.now() - lifetimeMs).toISOString());
    const response = await fetchImpl(url, {
      headers: { authorization: `Bearer ${await options.accessToken()}`, accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) throw new Error(`the event feed answered HTTP ${response.status}`);
    const page = await response.json() as { items?: FeedEvent[]; next?: string };
    if (!Array.isArray(page.items) || typeof page.next !== 'string') throw new Error('the event feed answered an unexpected body');
    for (const event of page.items) apply(event);
    cursor = page.next;
    return page.items.length;
  }

  async function catchUp(): Promise<void> {
    const started = Date.now();
    while ((await readPage()) === 1000);
    lastSuccess = started;
    synced = true;
    sweep(Date.now());
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      catchUp().catch((error: unknown) => options.onError?.(error)).finally(schedule);
    }, pollIntervalMs);
    (timer as { unref?: () => void }).unref?.();
  }

  return {
    async start() {
      stopped = false;
      await catchUp();
      schedule();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    isRevoked(token) {
      const now = Date.now();
      if ((jtis.get(token.jti) ?? 0) > now) return true;
      if (token.grant_id !== undefined && (grants.get(token.grant_id) ?? 0) > now) return true;
      const subject = subjects.get(token.sub);
      // Issued in the second of the block or before: refused (an iat is whole seconds).
      return subject !== undefined && subject[1] > now && token.iat <= subject[0];
    },
    get stale() {
      return !synced || Date.now() - lastSuccess > staleAfterMs;
    },
    get size() {
      return jtis.size + grants.size + subjects.size;
    },
  };
}

/**
 * A cached client-credentials access token from Gatehouse's token endpoint, fetched again a
 * minute before it expires: the `accessToken` of {@link createRevocationFeed}.
 *
 * @example
 * ```ts
 * import { clientCredentialsToken } from '@gatehouse/verifier';
 *
 * const token = clientCredentialsToken({ issuer: 'https://id.example.org', clientId: 'cms-api', clientSecret: 's3cret', resource: 'https://id.example.org/api', scope: 'events:read' });
 * console.log(await token());
 * ```
 */
export function clientCredentialsToken(options: { issuer: string; clientId: string; clientSecret: string; resource: string; scope: string; fetch?: typeof fetch; timeoutMs?: number }): () => Promise<string> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  let current: { token: string; until: number } | undefined;
  let pending: Promise<string> | undefined;
  async function obtain(): Promise<string> {
    const response = await fetchImpl(`${options.issuer.replace(/\/+$/, '')}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encode(options.clientId)}:${encode(options.clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: options.resource, scope: options.scope }).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    const body = await response.json() as { access_token?: string; expires_in?: number };
    if (response.status !== 200 || typeof body.access_token !== 'string') throw new Error(`the token endpoint answered HTTP ${response.status}`);
    current = { token: body.access_token, until: Date.now() + Math.max(0, (body.expires_in ?? 300) - 60) * 1000 };
    return body.access_token;
  }
  return async () => {
    if (current && current.until > Date.now()) return current.token;
    pending ??= obtain().finally(() => { pending = undefined; });
    return pending;
  };
}
