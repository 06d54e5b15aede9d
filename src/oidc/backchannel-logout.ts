import { randomUUID } from 'node:crypto';

import { importJWK, SignJWT } from 'jose';

import type { ClientLogout, LogoutNotifier } from '../domain/ports/logout-notifier.js';
import { checkOutboundUrl, OutboundRefusedError, postOutbound, type OutboundPolicy } from '../lib/outbound-request.js';
import type { Logger } from '../logger.js';
import type { PrivateJwk } from './keys.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** How long a logout token is valid: long enough for its retries to reuse it (spec: short). */
const TOKEN_LIFETIME_SECONDS = 300;
const REQUEST_TIMEOUT_MS = 5_000;
/** Deliveries waiting at once in this process (a flood of logouts must not grow memory unbounded). */
const MAX_PENDING = 10_000;

/** Where a client receives logout tokens, from its metadata. */
export interface BackchannelTarget {
  uri?: string;
  /** backchannel_logout_session_required: the token must carry `sid`. */
  sessionRequired: boolean;
}

export interface BackchannelLogoutDeps {
  issuer: string;
  /** The key signing now (the same one ID tokens are signed with). */
  signingKey: () => PrivateJwk;
  findClient: (clientId: string) => Promise<BackchannelTarget | undefined>;
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
 * `typ: logout+jwt`) POSTed to each client's backchannel_logout_uri. Runs in the background and
 * retries failures with exponential backoff; deliveries live in this process's memory, so a
 * restart loses the ones still waiting (an event outbox can drive `notify` durably later).
 */
export function createBackchannelLogout(deps: BackchannelLogoutDeps): LogoutNotifier & { close(): void } {
  const send = deps.post ?? (async (url: string, form: string) => (await postOutbound(url, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form, timeoutMs: REQUEST_TIMEOUT_MS,
  }, deps.policy)).status);
  const baseDelay = deps.baseDelayMs ?? 1_000;
  const timers = new Set<NodeJS.Timeout>();
  let pending = 0;
  let closed = false;

  async function logoutToken(logout: ClientLogout): Promise<string> {
    const jwk = deps.signingKey();
    const key = await importJWK(jwk, jwk.alg);
    return new SignJWT({
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      sub: logout.accountId,
      // Always when known (the spec allows it), so a client can end just that session.
      ...(logout.sid ? { sid: logout.sid } : {}),
    })
      .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: 'logout+jwt' })
      .setIssuer(deps.issuer)
      .setAudience(logout.clientId)
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_LIFETIME_SECONDS}s`)
      .setJti(randomUUID())
      .sign(key);
  }

  async function post(uri: string, token: string): Promise<void> {
    await checkOutboundUrl(uri, deps.policy);
    const status = await send(uri, new URLSearchParams({ logout_token: token }).toString());
    if (status !== 200 && status !== 204) throw new Error(`answered ${status}`);
  }

  function retryLater(attempt: () => Promise<void>, delayMs: number): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void attempt();
    }, delayMs);
    timer.unref();
    timers.add(timer);
  }

  async function deliver(logout: ClientLogout): Promise<void> {
    const target = await deps.findClient(logout.clientId);
    if (!target?.uri) return;
    const { uri } = target;
    if (target.sessionRequired && !logout.sid) {
      deps.log.warn('back-channel logout not sent: the client requires sid and the session has none', { client_id: logout.clientId });
      return;
    }
    const token = await logoutToken(logout);
    let tries = 0;
    pending += 1;
    const attempt = async (): Promise<void> => {
      tries += 1;
      try {
        await post(uri, token);
        pending -= 1;
        deps.log.info('back-channel logout delivered', { client_id: logout.clientId, attempt: tries });
      } catch (error) {
        const final = closed || tries >= deps.attempts || error instanceof OutboundRefusedError;
        deps.log.warn(final ? 'back-channel logout failed; giving up' : 'back-channel logout failed; will retry', { client_id: logout.clientId, attempt: tries, error });
        if (final) pending -= 1;
        else retryLater(attempt, baseDelay * 2 ** (tries - 1));
      }
    };
    await attempt();
  }

  return {
    notify(logouts) {
      for (const logout of logouts) {
        if (closed) return;
        if (pending >= MAX_PENDING) {
          deps.log.warn('back-channel logout dropped: too many deliveries waiting', { client_id: logout.clientId });
          continue;
        }
        deliver(logout).catch((error: unknown) => deps.log.warn('back-channel logout not sent', { client_id: logout.clientId, error }));
      }
    },
    close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
