import { randomUUID } from 'node:crypto';


import type { BackchannelLogoutQueue, PendingLogout } from '../domain/ports/backchannel-logout-queue.js';
import type { ClientLogout, LogoutNotifier } from '../domain/ports/logout-notifier.js';
import { startBackgroundLoop } from '../events/background-loop.js';
import { checkOutboundUrl, OutboundRefusedError, postOutbound, type OutboundPolicy } from '../lib/outbound-request.js';
import type { Logger } from '../logger.js';
import type { Rs256SigningKey } from './rs256-signing-key.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** How long a logout token is valid: long enough for its retries to reuse it (spec: short). */
const TOKEN_LIFETIME_SECONDS = 300;
const REQUEST_TIMEOUT_MS = 5_000;
/** Deliveries one node sends at once. */
const BATCH = 50;
/** How long a node holds a claimed delivery before another may take it over (longer than one try). */
const LEASE_MS = 30_000;
/** How often a node looks for deliveries due for a retry (and ones a stopped node left). */
const IDLE_MS = 1_000;

/** Where a client receives logout tokens, from its metadata. */
export interface BackchannelTarget {
  uri?: string;
  /** backchannel_logout_session_required: the token must carry `sid`. */
  sessionRequired: boolean;
}

export interface BackchannelLogoutDeps {
  issuer: string;
  /** The key signing now (the same one ID tokens are signed with). */
  signingKey: () => Rs256SigningKey;
  findClient: (clientId: string) => Promise<BackchannelTarget | undefined>;
  /** Where deliveries wait for their next try: stored, so a restart loses none. */
  queue: BackchannelLogoutQueue;
  /** Total tries per client (the first and the retries), with doubling waits from `baseDelayMs`. */
  attempts: number;
  /** Where logout tokens may go (SSRF protection: private addresses and plain http as configured). */
  policy: OutboundPolicy;
  log: Logger;
  baseDelayMs?: number;
  /** POSTs the form and answers the status (default: the SSRF-guarded outbound request; tests inject one). */
  post?: (url: string, form: string) => Promise<number>;
}

/**
 * OpenID Connect Back-Channel Logout 1.0 sender: a logout token (a JWT signed like ID tokens,
 * `typ: logout+jwt`) POSTed to each client's backchannel_logout_uri. `notify` stores the
 * deliveries and returns; a background loop on every node sends what is due, leased per row, and
 * retries failures with exponential backoff, so a delivery waiting for its retry survives a
 * restart (any node, or the restarted one, takes it over). Each try signs a fresh token.
 */
export function createBackchannelLogout(deps: BackchannelLogoutDeps): LogoutNotifier & { close(): Promise<void> } {
  const send = deps.post ?? (async (url: string, form: string) => (await postOutbound(url, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form, timeoutMs: REQUEST_TIMEOUT_MS,
  }, deps.policy)).status);
  const baseDelay = deps.baseDelayMs ?? 1_000;
  let closed = false;
  /** Sends started by `notify`, which `close` waits for like the loop's (a lease left behind would hold a delivery back). */
  const started = new Set<Promise<unknown>>();

  async function logoutToken(logout: ClientLogout): Promise<string> {
    const issuedAt = Math.floor(Date.now() / 1000);
    return deps.signingKey().signJwt({
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      sub: logout.accountId,
      // Always when known (the spec allows it), so a client can end just that session.
      ...(logout.sid ? { sid: logout.sid } : {}),
      iss: deps.issuer,
      aud: logout.clientId,
      iat: issuedAt,
      exp: issuedAt + TOKEN_LIFETIME_SECONDS,
      jti: randomUUID(),
    }, 'logout+jwt');
  }

  async function post(uri: string, token: string): Promise<void> {
    await checkOutboundUrl(uri, deps.policy);
    const status = await send(uri, new URLSearchParams({ logout_token: token }).toString());
    if (status !== 200 && status !== 204) throw new Error(`answered ${status}`);
  }

  /** One try of one claimed delivery; the row is then removed or given its next time. */
  async function deliver(logout: PendingLogout): Promise<void> {
    const target = await deps.findClient(logout.clientId);
    if (!target?.uri) return deps.queue.remove(logout.id);
    if (target.sessionRequired && !logout.sid) {
      deps.log.warn('back-channel logout not sent: the client requires sid and the session has none', { client_id: logout.clientId });
      return deps.queue.remove(logout.id);
    }
    try {
      await post(target.uri, await logoutToken(logout));
      await deps.queue.remove(logout.id);
      deps.log.info('back-channel logout delivered', { client_id: logout.clientId, attempt: logout.attempts });
    } catch (error) {
      const final = logout.attempts >= deps.attempts || error instanceof OutboundRefusedError;
      deps.log.warn(final ? 'back-channel logout failed; giving up' : 'back-channel logout failed; will retry', { client_id: logout.clientId, attempt: logout.attempts, error });
      if (final) await deps.queue.remove(logout.id);
      else await deps.queue.retryAt(logout.id, new Date(Date.now() + baseDelay * 2 ** (logout.attempts - 1)));
    }
  }

  /** Sends what is due; answers how many it tried. */
  async function deliverDue(): Promise<number> {
    if (closed) return 0;
    const now = new Date();
    const claimed = await deps.queue.claimDue(now, BATCH, new Date(now.getTime() + LEASE_MS));
    await Promise.all(claimed.map((logout) => deliver(logout).catch((error: unknown) => deps.log.warn('back-channel logout not sent', { client_id: logout.clientId, error }))));
    return claimed.length;
  }

  const stopLoop = startBackgroundLoop('back-channel logout', deliverDue, { idleMs: IDLE_MS, log: deps.log });

  return {
    notify(logouts) {
      if (closed || !logouts.length) return;
      // Stored first, then sent at once (the loop would find them within IDLE_MS anyway).
      const sending = deps.queue.enqueue(logouts)
        .then(() => deliverDue())
        .catch((error: unknown) => deps.log.warn('back-channel logout not sent', { clients: logouts.map((l) => l.clientId), error }))
        .finally(() => started.delete(sending));
      started.add(sending);
    },
    async close() {
      closed = true;
      await Promise.all([stopLoop(), ...started]);
    },
  };
}
