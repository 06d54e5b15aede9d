import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';

import { StorageUnavailableError } from '../domain/errors.js';

import type { ClientRepository } from '../domain/ports/client-repository.js';
import { AlreadyConsumedError, type PayloadRepository } from '../domain/ports/payload-repository.js';
import type { Store } from '../domain/ports/store.js';
import { TemporarilyUnavailable } from './errors.js';
import { durableKinds, type GrantRevoker } from './grant-revoker.js';
import type { RefreshReusePolicy } from './refresh-reuse-policy.js';
import { accountSessionsKey, LIVE_SESSIONS_KEY } from './session-directory.js';
import { createLookupCache, type LookupCacheOptions } from './lookup-cache.js';
import { storedTokenId } from '../domain/clients/initial-access-tokens.js';
import type { RegisteredClientStore } from './client-registration.js';

export interface AdapterDeps {
  payloads: PayloadRepository;
  clients: ClientRepository;
  store: Store;
  grants: GrantRevoker;
  refreshReuse: RefreshReusePolicy;
  /** How long, and how many, clients' metadata is kept in-process (changes reach every node within the TTL). */
  clientCache: LookupCacheOptions;
  /** Clients oidc-provider registers, changes or deletes (RFC 7591/7592); absent: registration is off. */
  registeredClients?: RegisteredClientStore;
}

/**
 * Bearer credentials for registration: kept in Postgres (a client must manage itself after a Redis
 * restart) under the SHA-256 of their value, so a database read reveals no usable token.
 */
const hashedKinds = new Set(['InitialAccessToken', 'RegistrationAccessToken']);
const durable = new Set<string>([...durableKinds, ...hashedKinds]);

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
  // oidc-provider writes clients only through registration, which is off without a store.
  const registered = (): RegisteredClientStore => {
    if (!deps.registeredClients) throw new Error('client registration is off');
    return deps.registeredClients;
  };

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

    /** The id a model is stored under: the token's hash for registration credentials. */
    private storedId(id: string) {
      return hashedKinds.has(this.name) ? storedTokenId(id) : id;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      await translate(async () => {
        if (this.name === 'Client') return registered().save(payload as AdapterPayload & { client_id: string });
        if (hashedKinds.has(this.name)) {
          const { jti: _value, ...withoutValue } = payload;
          return deps.payloads.upsert(this.name, this.storedId(id), withoutValue, expiresIn);
        }
        if (this.isDurable) {
          if (this.name === 'RefreshToken' && !deps.refreshReuse.shouldSave()) return;
          return deps.payloads.upsert(this.name, id, payload as Record<string, unknown>, expiresIn);
        }
        const ttl = expiresIn ?? 3600;
        // The payload and its indexes are independent writes, sent together: one round trip
        // instead of one each (a sign-in saves a code and a session this way). On one Redis
        // connection they still run in this order.
        const writes = [deps.store.setJson(this.key(id), payload, expiresIn)];
        if (payload.grantId) writes.push(deps.store.addToSet(`oidc:grant:${payload.grantId}`, this.key(id), ttl));
        if (payload.userCode) writes.push(deps.store.setJson(`oidc:userCode:${payload.userCode}`, id, ttl));
        if (payload.uid) writes.push(deps.store.setJson(`oidc:uid:${payload.uid}`, id, ttl));
        // Sessions are indexed by account, so blocking a user can end them all, and in one live
        // index, so counting them (the dashboard's active sessions) reads no session.
        if (this.name === 'Session' && typeof payload.accountId === 'string') {
          writes.push(deps.store.addToSet(accountSessionsKey(payload.accountId), this.key(id), ttl), deps.store.addExpiring(LIVE_SESSIONS_KEY, this.key(id), ttl));
        }
        await Promise.all(writes);
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return translate(async () => {
        if (this.name === 'Client') return clientCache.get(id);
        if (!this.isDurable) {
          // The payload and its consumed mark are read together (one round trip, not two: every
          // request of a sign-in reads its interaction); the mark is read in vain when there is no payload.
          const [payload, consumed] = await Promise.all([deps.store.getJson<AdapterPayload>(this.key(id)), deps.store.getJson<number>(`${this.key(id)}:consumed`)]);
          if (payload && !payload.consumed && consumed) {
            payload.consumed = Math.floor(Date.now() / 1000);
          }
          return payload;
        }
        const stored = await deps.payloads.find(this.name, this.storedId(id));
        if (!stored) return undefined;
        const payload = stored.payload as AdapterPayload;
        if (hashedKinds.has(this.name)) {
          // A single-use initial access token that has been used is gone.
          if (stored.consumedAtMs !== undefined) return undefined;
          return { ...payload, jti: id };
        }
        const { consumedAtMs } = stored;
        if (consumedAtMs === undefined) return payload;
        // A retry of a refresh whose answer was lost redeems the token again (refresh-reuse-policy.ts).
        if (this.name === 'RefreshToken' && (await deps.refreshReuse.judgeConsumed(id, { ...stored, consumedAtMs })) === 'redeem-again') return payload;
        payload.consumed = Math.floor(consumedAtMs / 1000);
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
          if (this.name === 'RefreshToken') return deps.refreshReuse.redeem(id, () => deps.payloads.consume(this.name, this.storedId(id)));
          return deps.payloads.consume(this.name, this.storedId(id));
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
        if (this.name === 'Client') return registered().remove(id);
        if (this.isDurable) return deps.payloads.destroy(this.name, this.storedId(id));
        await deps.store.delete([this.key(id)]);
        if (this.name === 'Session') await deps.store.removeExpiring(LIVE_SESSIONS_KEY, [this.key(id)]);
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

/** Storage faults become 503 temporarily_unavailable; a lost consume race becomes invalid_grant. */
async function translate<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof AlreadyConsumedError) throw new errors.InvalidGrant('grant already used');
    if (error instanceof StorageUnavailableError) throw new TemporarilyUnavailable(error);
    throw error;
  }
}
