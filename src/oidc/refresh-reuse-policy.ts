import { AsyncLocalStorage } from 'node:async_hooks';

import { errors, type KoaContextWithOIDC } from 'oidc-provider';

import type { Clock } from '../domain/ports/clock.js';
import type { PayloadRepository, StoredPayload } from '../domain/ports/payload-repository.js';
import type { Store } from '../domain/ports/store.js';
import { TemporarilyUnavailable } from './errors.js';

/** What the policy knows about the request in progress. */
interface RefreshRequest {
  /** When the request reached this node (epoch ms). */
  receivedAt: number;
  /** oidc-provider's route, known only once it has routed the request. */
  route(): string | undefined;
  /** The authenticated client, known once oidc-provider has authenticated it. */
  clientId(): string | undefined;
  /** The refresh token this request consumed, if any. */
  consumed?: string;
  /**
   * This request retries a refresh whose answer the client never received: it redeems
   * `predecessor` again and, when that refresh had already saved its `successor`, answers with
   * that same successor (so a duplicate answer is harmless).
   */
  retry?: { predecessor: string; successor?: string };
}

/**
 * How long a refresh token being redeemed is marked in flight: longer than a refresh can take
 * (a query gives up after 10 s), short enough that a client whose refresh died with its node
 * can retry soon after.
 */
const IN_FLIGHT_SECONDS = 15;
const inFlightKey = (id: string) => `oidc:RefreshToken:${id}:in-flight`;

export interface RefreshReusePolicyDeps {
  store: Store;
  payloads: PayloadRepository;
  clock: Clock;
  /** Seconds during which reuse of a consumed refresh token is refused without revoking the grant. */
  graceSeconds: number;
  /** Seconds during which the client a refresh token belongs to may redeem it again (its answer was lost). */
  retrySeconds: number;
  onError: (error: unknown) => void;
}

/** What `judgeConsumed` decided about a consumed refresh token presented again. */
export type ConsumedVerdict = 'redeem-again' | 'consumed';

/**
 * Refresh-token rotation and reuse, in one place (docs/ARCHITECTURE.md, "Refresh-token rotation").
 *
 * oidc-provider treats any use of a consumed refresh token as theft and revokes the grant. Three
 * cases are not theft and are decided here, before it sees them:
 * - a retry: within `retrySeconds` of the consumption, the token's own client presents it again
 *   and its successor is unused (or was never saved). The client never received the answer (a
 *   node died, a proxy dropped the response, the database went away after the consumption): it
 *   gets a working token pair — the same successor again, with a new access token — instead of
 *   losing the grant;
 * - a request that raced the refresh that consumed the token (arrived before the consumption, or
 *   while that refresh was still answering): refused without revoking;
 * - a replay within the grace window (`graceSeconds`): refused without revoking.
 * Anything else — another client, after the window, after the successor was used — is reuse.
 *
 * The adapter calls `judgeConsumed` when it finds a consumed refresh token, `redeem` to consume
 * one and `shouldSave` before saving a new one; `middleware` (installed on the provider) knows
 * each request's arrival time and client and, once a refresh has answered, clears its in-flight
 * mark — giving the token back if the refresh failed on the server's side.
 */
export function createRefreshReusePolicy(deps: RefreshReusePolicyDeps) {
  const requests = new AsyncLocalStorage<RefreshRequest>();

  /** The refresh token issued when `id` was redeemed: same chain (iiat), one rotation further. */
  async function successorsOf(payload: Record<string, unknown>) {
    if (typeof payload.grantId !== 'string') return [];
    const rotation = (typeof payload.rotations === 'number' ? payload.rotations : 0) + 1;
    return (await deps.payloads.findByGrantId('RefreshToken', payload.grantId))
      .filter((candidate) => candidate.payload.iiat === payload.iiat && candidate.payload.rotations === rotation);
  }

  /** Whether this request may redeem the consumed token again, and with which successor. */
  async function retry(id: string, { payload }: StoredPayload, request: RefreshRequest, inFlight: () => Promise<boolean>): Promise<boolean> {
    const successors = await successorsOf(payload);
    if (successors.length > 1) return false;
    const [successor] = successors;
    if (successor) {
      if (successor.consumedAtMs !== undefined) return false;
      request.retry = { predecessor: id, successor: successor.id };
      return true;
    }
    // No successor saved: the refresh that consumed the token is still running, or died.
    if (await inFlight()) throw new TemporarilyUnavailable(undefined, 'this refresh token is being redeemed by an earlier request; retry shortly');
    await deps.payloads.unconsume('RefreshToken', id);
    request.retry = { predecessor: id };
    return true;
  }

  return {
    /**
     * Provider middleware. The arrival time is the one the HTTP app noted when the request came
     * in (before its body was read), else now.
     */
    async middleware(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
      const noted = (ctx.state as { receivedAt?: unknown }).receivedAt;
      const request: RefreshRequest = {
        receivedAt: typeof noted === 'number' ? noted : deps.clock.now().getTime(),
        route: () => ctx.oidc?.route,
        clientId: () => ctx.oidc?.client?.clientId,
      };
      let failed = false;
      try {
        await requests.run(request, next);
        failed = ctx.status >= 500;
        const body = ctx.body as { refresh_token?: unknown } | undefined;
        // A retry answers with the successor its lost answer carried; the token minted for this
        // request was never saved.
        if (request.retry?.successor && ctx.status === 200 && typeof body?.refresh_token === 'string') body.refresh_token = request.retry.successor;
      } catch (error) {
        failed = !(error instanceof errors.OIDCProviderError) || error.statusCode >= 500;
        throw error;
      } finally {
        const id = request.consumed;
        if (id !== undefined) {
          // A 5xx after the token was consumed: give it back, so the client's retry — which the
          // 503 asks for — is not mistaken for theft. (If this fails too, the retry window covers it.)
          if (failed) await deps.payloads.unconsume('RefreshToken', id).catch(deps.onError);
          await deps.store.delete([inFlightKey(id)]).catch(() => {});
        }
      }
    },

    /**
     * Consumes a refresh token. It is marked in flight first: if the store is down the refresh
     * fails with nothing consumed, and the client can retry with the same token. A retry that
     * answers with the existing successor consumes nothing (the token already is).
     */
    async redeem(id: string, consume: () => Promise<void>): Promise<void> {
      const request = requests.getStore();
      if (request?.retry?.predecessor === id && request.retry.successor) return;
      await deps.store.setJson(inFlightKey(id), 1, IN_FLIGHT_SECONDS);
      await consume();
      // Until this request has answered, others presenting the same token raced it.
      if (request) request.consumed = id;
    },

    /** Whether a newly minted refresh token is saved: not when a retry answers with the old successor. */
    shouldSave(): boolean {
      return !requests.getStore()?.retry?.successor;
    },

    /**
     * Decides about a consumed refresh token presented again: 'redeem-again' (a retry: the
     * adapter hands it out as unconsumed), 'consumed' (oidc-provider treats it as reuse; at
     * introspection and revocation it is simply inactive), or throws invalid_grant without
     * revoking when the reuse is innocent.
     */
    async judgeConsumed(id: string, stored: StoredPayload & { consumedAtMs: number }): Promise<ConsumedVerdict> {
      const request = requests.getStore();
      if (request?.route() !== 'token') return 'consumed';
      const { receivedAt } = request;
      const age = receivedAt - stored.consumedAtMs;
      let marked: boolean | undefined;
      const inFlight = async () => (marked ??= (await deps.store.getJson<number>(inFlightKey(id))) !== undefined);
      const ownClient = request.clientId() !== undefined && request.clientId() === stored.payload.clientId;
      if (ownClient && deps.retrySeconds > 0 && age <= deps.retrySeconds * 1000 && (await retry(id, stored, request, inFlight))) return 'redeem-again';
      if ((await inFlight()) || receivedAt <= stored.consumedAtMs || age < deps.graceSeconds * 1000) {
        throw new errors.InvalidGrant('refresh token already used');
      }
      return 'consumed';
    },
  };
}

export type RefreshReusePolicy = ReturnType<typeof createRefreshReusePolicy>;
