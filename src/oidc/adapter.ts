import type { Adapter, AdapterPayload } from 'oidc-provider';
import Provider, { errors } from 'oidc-provider';

import type { ClientRepository } from '../storage/postgres/client-repository.js';
import { AlreadyConsumedError, type OidcPayloadRepository } from '../storage/postgres/oidc-payload-repository.js';
import type { Store } from '../storage/store.js';
import { isUnavailable } from '../storage/unavailable.js';
import { TemporarilyUnavailable } from './errors.js';
import { durableKinds, type GrantRevoker } from './grant-revoker.js';
import { createLookupCache, type LookupCacheOptions } from './lookup-cache.js';

export interface AdapterDeps {
  payloads: OidcPayloadRepository;
  clients: ClientRepository;
  store: Store;
  grants: GrantRevoker;
  /** Seconds during which reuse of a consumed refresh token is refused without revoking the grant. */
  refreshReuseGraceSeconds: number;
  /** How long, and how many, clients' metadata is kept in-process (changes reach every node within the TTL). */
  clientCache: LookupCacheOptions;
}

const durable = new Set<string>(durableKinds);

/** The adapter class, plus a way to make a client change apply in this process at once. */
export type GatehouseAdapterClass = (new (name: string) => Adapter) & {
  forgetClient(clientId: string): void;
  /** Clients whose metadata (or absence) this process holds now: never more than the cache's max. */
  readonly cachedClients: number;
};

/**
 * oidc-provider's adapter: routes each model to its home and translates, nothing more.
 * Grants and tokens go to Postgres (they must survive Redis); sessions, interactions, codes and
 * other short-lived artifacts go to the store. Consumption is atomic in both, so a code or a
 * refresh token is redeemed once even by concurrent requests on different nodes.
 */
export function createAdapterClass(deps: AdapterDeps): GatehouseAdapterClass {
  // Keyed by whatever client_id a request names, unknown ones included: bounded by clientCache.max.
  const clientCache = createLookupCache(deps.clientCache, async (id) => (await deps.clients.find(id)) as AdapterPayload | undefined);

  return class GatehouseAdapter implements Adapter {
    readonly name: string;
    readonly isDurable: boolean;

    /** Drops this process's cached metadata of a client the management API just changed. */
    static forgetClient(clientId: string): void {
      clientCache.delete(clientId);
    }

    static get cachedClients(): number {
      return clientCache.size;
    }

    constructor(name: string) {
      this.name = name;
      this.isDurable = durable.has(name);
    }

    private key(id: string) {
      return `oidc:${this.name}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      await translate(async () => {
        if (this.isDurable) return deps.payloads.upsert(this.name, id, payload as Record<string, unknown>, expiresIn);
        await deps.store.setJson(this.key(id), payload, expiresIn);
        const ttl = expiresIn ?? 3600;
        if (payload.grantId) await deps.store.addToSet(`oidc:grant:${payload.grantId}`, this.key(id), ttl);
        if (payload.userCode) await deps.store.setJson(`oidc:userCode:${payload.userCode}`, id, ttl);
        if (payload.uid) await deps.store.setJson(`oidc:uid:${payload.uid}`, id, ttl);
        // Sessions are indexed by account, so blocking a user can end them all.
        if (this.name === 'Session' && typeof payload.accountId === 'string') await deps.store.addToSet(accountSessionsKey(payload.accountId), this.key(id), ttl);
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return translate(async () => {
        if (this.name === 'Client') return clientCache.get(id);
        if (!this.isDurable) {
          const payload = await deps.store.getJson<AdapterPayload>(this.key(id));
          if (payload && !payload.consumed && (await deps.store.getJson<number>(`${this.key(id)}:consumed`))) {
            payload.consumed = Math.floor(Date.now() / 1000);
          }
          return payload;
        }
        const stored = await deps.payloads.find(this.name, id);
        if (!stored) return undefined;
        const payload = stored.payload as AdapterPayload;
        if (stored.consumedAtMs !== undefined) {
          payload.consumed = Math.floor(stored.consumedAtMs / 1000);
          // Only the token endpoint redeems; introspection and revocation must see the token as it is.
          if (this.name === 'RefreshToken' && Provider.ctx?.oidc?.route === 'token') {
            const inFlight = (await deps.store.getJson<number>(inFlightKey(id))) !== undefined;
            refuseInnocentReuse(stored.consumedAtMs, inFlight, deps.refreshReuseGraceSeconds);
          }
        }
        return payload;
      });
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return translate(async () => {
        const id = await deps.store.getJson<string>(`oidc:userCode:${userCode}`);
        return id ? this.find(id) : undefined;
      });
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return translate(async () => {
        const id = await deps.store.getJson<string>(`oidc:uid:${uid}`);
        return id ? this.find(id) : undefined;
      });
    }

    async consume(id: string): Promise<void> {
      await translate(async () => {
        if (this.isDurable) {
          // Marked before consuming: if the store is down the refresh fails with nothing
          // consumed, and the client can retry with the same token.
          if (this.name === 'RefreshToken') await deps.store.setJson(inFlightKey(id), 1, IN_FLIGHT_SECONDS);
          await deps.payloads.consume(this.name, id);
          // Until this request has answered, others presenting the same token raced it.
          if (this.name === 'RefreshToken') requestState()[IN_FLIGHT] = id;
          return;
        }
        const payload = await deps.store.getJson<AdapterPayload>(this.key(id));
        if (!(await deps.store.claim(`${this.key(id)}:consumed`, payload?.exp ? payload.exp - Date.now() / 1000 + 60 : 3600))) {
          throw new AlreadyConsumedError(`${this.name} already consumed`);
        }
      });
    }

    async destroy(id: string): Promise<void> {
      await translate(async () => {
        if (this.name === 'Grant') return deps.grants.revokeGrant(id);
        if (this.isDurable) return deps.payloads.destroy(this.name, id);
        await deps.store.delete([this.key(id)]);
      });
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await translate(async () => {
        if (this.isDurable) return deps.payloads.destroyByGrantId(this.name, grantId);
        const setKey = `oidc:grant:${grantId}`;
        const keys = (await deps.store.setMembers(setKey)).filter((k) => k.startsWith(`oidc:${this.name}:`));
        await deps.store.delete(keys);
      });
    }
  };
}

export const accountSessionsKey = (accountId: string) => `oidc:account-sessions:${accountId}`;

const IN_FLIGHT = Symbol('refreshInFlight');
const IN_FLIGHT_SECONDS = 30;
const inFlightKey = (id: string) => `oidc:RefreshToken:${id}:in-flight`;
const requestState = () => (Provider.ctx?.state ?? {}) as Record<string | symbol, unknown>;

/**
 * oidc-provider treats any use of a consumed refresh token as theft and revokes the grant.
 * Two cases are not theft and are refused here, before it sees them, without revoking:
 * a request that raced the refresh that consumed the token (it arrived before the consumption,
 * or while that refresh was still answering: N parallel refreshes give one token pair, and it
 * stays valid), and a replay within the configured grace window (an honest double submit).
 */
function refuseInnocentReuse(consumedAtMs: number, inFlight: boolean, graceSeconds: number): void {
  const receivedAt = (requestState().receivedAt as number | undefined) ?? Date.now();
  if (inFlight || receivedAt <= consumedAtMs || receivedAt - consumedAtMs < graceSeconds * 1000) {
    throw new errors.InvalidGrant('refresh token already used');
  }
}

/**
 * Provider middleware: once a refresh has answered, its token's in-flight mark goes. If it
 * failed on the server's side (a 5xx: storage trouble after the token was consumed), the token is
 * given back, so the client's retry — which the 503 asks for — is not mistaken for theft.
 */
export function clearRefreshInFlight(deps: { store: Store; payloads: OidcPayloadRepository; onError: (error: unknown) => void }) {
  return async (ctx: { state: Record<string | symbol, unknown>; status: number }, next: () => Promise<void>) => {
    let failed = false;
    try {
      await next();
      failed = ctx.status >= 500;
    } catch (error) {
      failed = !(error instanceof errors.OIDCProviderError) || error.statusCode >= 500;
      throw error;
    } finally {
      const id = ctx.state[IN_FLIGHT];
      if (typeof id === 'string') {
        if (failed) await deps.payloads.unconsume('RefreshToken', id).catch(deps.onError);
        await deps.store.delete([inFlightKey(id)]).catch(() => {});
      }
    }
  };
}

/** Storage faults become 503 temporarily_unavailable; a lost consume race becomes invalid_grant. */
async function translate<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof AlreadyConsumedError) throw new errors.InvalidGrant('grant already used');
    if (isUnavailable(error)) throw new TemporarilyUnavailable(error);
    throw error;
  }
}
