import { AsyncLocalStorage } from 'node:async_hooks';

import { errors, type KoaContextWithOIDC } from 'oidc-provider';

import type { Clock } from '../domain/ports/clock.js';
import type { PayloadRepository } from '../domain/ports/payload-repository.js';
import type { Store } from '../domain/ports/store.js';

/** What the policy knows about the request in progress. */
interface RefreshRequest {
  /** When the request reached this node (epoch ms). */
  receivedAt: number;
  /** oidc-provider's route, known only once it has routed the request. */
  route(): string | undefined;
  /** The refresh token this request consumed, if any. */
  consumed?: string;
}

const IN_FLIGHT_SECONDS = 30;
const inFlightKey = (id: string) => `oidc:RefreshToken:${id}:in-flight`;

export interface RefreshReusePolicyDeps {
  store: Store;
  payloads: PayloadRepository;
  clock: Clock;
  /** Seconds during which reuse of a consumed refresh token is refused without revoking the grant. */
  graceSeconds: number;
  onError: (error: unknown) => void;
}

/**
 * Refresh-token rotation and reuse, in one place (docs/ARCHITECTURE.md, "Refresh-token rotation").
 *
 * oidc-provider treats any use of a consumed refresh token as theft and revokes the grant. Two
 * cases are not theft and are refused here, before it sees them, without revoking: a request
 * that raced the refresh that consumed the token (it arrived before the consumption, or while
 * that refresh was still answering — N parallel refreshes give one token pair, and it stays
 * valid), and a replay within the configured grace window (an honest double submit).
 *
 * The adapter calls `beforeConsume`/`consumed` around consuming a refresh token and
 * `refuseInnocentReuse` when it finds one already consumed; `middleware` (installed on the
 * provider) knows each request's arrival time and, once a refresh has answered, clears its
 * in-flight mark — giving the token back if the refresh failed on the server's side.
 */
export function createRefreshReusePolicy(deps: RefreshReusePolicyDeps) {
  const requests = new AsyncLocalStorage<RefreshRequest>();

  return {
    /**
     * Provider middleware. The arrival time is the one the HTTP app noted when the request came
     * in (before its body was read), else now.
     */
    async middleware(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
      const noted = (ctx.state as { receivedAt?: unknown }).receivedAt;
      const request: RefreshRequest = { receivedAt: typeof noted === 'number' ? noted : deps.clock.now().getTime(), route: () => ctx.oidc?.route };
      let failed = false;
      try {
        await requests.run(request, next);
        failed = ctx.status >= 500;
      } catch (error) {
        failed = !(error instanceof errors.OIDCProviderError) || error.statusCode >= 500;
        throw error;
      } finally {
        const id = request.consumed;
        if (id !== undefined) {
          // A 5xx after the token was consumed: give it back, so the client's retry — which the
          // 503 asks for — is not mistaken for theft.
          if (failed) await deps.payloads.unconsume('RefreshToken', id).catch(deps.onError);
          await deps.store.delete([inFlightKey(id)]).catch(() => {});
        }
      }
    },

    /**
     * Marks the token in flight before it is consumed: if the store is down the refresh fails
     * with nothing consumed, and the client can retry with the same token.
     */
    async beforeConsume(id: string): Promise<void> {
      await deps.store.setJson(inFlightKey(id), 1, IN_FLIGHT_SECONDS);
    },

    /** Until this request has answered, others presenting the same token raced it. */
    consumed(id: string): void {
      const request = requests.getStore();
      if (request) request.consumed = id;
    },

    /**
     * Throws invalid_grant (without revoking) when reuse of a consumed token is innocent; returns
     * to let oidc-provider treat it as a replay. Only the token endpoint redeems: introspection and
     * revocation see the token as it is.
     */
    async refuseInnocentReuse(id: string, consumedAtMs: number): Promise<void> {
      const request = requests.getStore();
      if (request?.route() !== 'token') return;
      const inFlight = (await deps.store.getJson<number>(inFlightKey(id))) !== undefined;
      const { receivedAt } = request;
      if (inFlight || receivedAt <= consumedAtMs || receivedAt - consumedAtMs < deps.graceSeconds * 1000) {
        throw new errors.InvalidGrant('refresh token already used');
      }
    },
  };
}

export type RefreshReusePolicy = ReturnType<typeof createRefreshReusePolicy>;
