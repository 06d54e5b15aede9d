/**
 * The management API's operations for the platform screens (clients, resources, webhooks, audit,
 * signing keys, activity), over the console's one API client: the same `/api/v1` an integrator calls.
 */
import type { Api, Page, PageQuery } from './api.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface Client {
  clientId: string; clientName?: string; redirectUris: string[]; postLogoutRedirectUris: string[]; grantTypes: string[]; scope: string;
  resources: string[]; resourceScopes: string[]; defaultResource?: string; tokenEndpointAuthMethod: string; firstParty: boolean;
  registeredDynamically: boolean; secretCount: number; previousSecretExpiresAt?: string; createdAt: string; updatedAt: string;
}
export type NewClient = Partial<Omit<Client, 'secretCount' | 'registeredDynamically' | 'createdAt' | 'updatedAt' | 'previousSecretExpiresAt'>>;
export interface RotatedSecret { clientId: string; clientSecret: string; previousSecretExpiresAt?: string }

export interface ResourceRecord { uri: string; name: string; accessTokenTtl: number; scopes: string[]; roles: string[]; tokenClaims: string[]; createdAt: string; updatedAt: string }

export interface Webhook { id: string; url: string; description?: string; eventTypes: string[]; labId?: string; enabled: boolean; disabledReason?: string; failingSince?: string; createdAt: string; updatedAt: string }
export interface Delivery { id: number; eventId: string; eventType: string; status: 'pending' | 'delivered' | 'failed'; attempts: number; nextAttemptAt?: string; lastStatus?: number; lastError?: string; createdAt: string; finishedAt?: string }

export interface AuditEntry { id: number; at: string; actor: string; action: string; target?: string; details: Record<string, unknown>; requestId?: string; ip?: string; hash: string; prevHash: string }
export type AuditFilter = { action?: string; actor?: string; target?: string; from?: string; to?: string; before?: number };
export type ChainCheck = { ok: boolean; rows: number; brokenAt?: number; reason?: string; checkedAt: string };

export interface SigningKey { kid: string; alg: string; status: 'signing' | 'next' | 'published'; createdAt: string; activatesAt?: string; retiredAt?: string }

export interface Statistics {
  users: { total: number; active: number; blocked: number };
  labs: { total: number; active: number; suspended: number };
  activeSessions: number;
  tokensIssued?: Array<{ clientId: string; lastHour: number; lastDay: number; last30Days: number }>;
}
export interface ClientSeries { clientId: string; counts: number[] }
export interface Activity { bucket: 'hour' | 'day'; buckets: string[]; signIns: ClientSeries[]; tokensIssued: ClientSeries[] }
export type ActivityPeriod = '24h' | '7d' | '30d';

export function platformApi(api: Api) {
  const { call } = api;
  const seg = encodeURIComponent;
  return {
    clients: {
      list: (query: PageQuery & { q?: string }) => call<Page<Client>>('GET', '/clients', { query }),
      get: (id: string) => call<Client>('GET', `/clients/${seg(id)}`),
      create: (body: NewClient) => call<Client & { clientSecret?: string }>('POST', '/clients', { body }),
      update: (id: string, body: NewClient) => call<Client & { clientSecret?: string }>('PATCH', `/clients/${seg(id)}`, { body }),
      remove: (id: string) => call<void>('DELETE', `/clients/${seg(id)}`),
      rotateSecret: (id: string) => call<RotatedSecret>('POST', `/clients/${seg(id)}/secret`),
    },
    resources: {
      list: (query: PageQuery & { q?: string }) => call<Page<ResourceRecord>>('GET', '/resources', { query }),
      get: (uri: string) => call<ResourceRecord>('GET', `/resources/${seg(uri)}`),
      create: (body: Partial<ResourceRecord>) => call<ResourceRecord>('POST', '/resources', { body }),
      update: (uri: string, body: Partial<ResourceRecord>) => call<ResourceRecord>('PATCH', `/resources/${seg(uri)}`, { body }),
      remove: (uri: string) => call<void>('DELETE', `/resources/${seg(uri)}`),
    },
    webhooks: {
      list: (query: PageQuery) => call<Page<Webhook>>('GET', '/webhooks', { query }),
      get: (id: string) => call<Webhook>('GET', `/webhooks/${seg(id)}`),
      create: (body: { url: string; description?: string; eventTypes?: string[]; labId?: string }) => call<{ webhook: Webhook; secret: string }>('POST', '/webhooks', { body }),
      update: (id: string, body: { url?: string; description?: string; eventTypes?: string[]; enabled?: boolean }) => call<Webhook>('PATCH', `/webhooks/${seg(id)}`, { body }),
      remove: (id: string) => call<void>('DELETE', `/webhooks/${seg(id)}`),
      deliveries: (id: string, query: PageQuery) => call<Page<Delivery>>('GET', `/webhooks/${seg(id)}/deliveries`, { query }),
      redeliver: (id: string, deliveryId: number) => call<Delivery>('POST', `/webhooks/${seg(id)}/deliveries/${deliveryId}/redeliver`),
    },
    audit: {
      query: (query: PageQuery & AuditFilter) => call<Page<AuditEntry>>('GET', '/audit', { query }),
      verify: () => call<ChainCheck>('GET', '/audit/verification'),
    },
    signingKeys: {
      list: () => call<{ items: SigningKey[] }>('GET', '/signing-keys'),
      rotate: (activateInSeconds: number) => call<{ added: string; activatesAt: string; removed: string[]; keys: SigningKey[] }>('POST', '/signing-keys:rotate', { body: { activateInSeconds } }),
    },
    statistics: {
      read: () => call<Statistics>('GET', '/statistics'),
      activity: (period: ActivityPeriod) => call<Activity>('GET', '/statistics/activity', { query: { period } }),
    },
  };
}

export type PlatformApi = ReturnType<typeof platformApi>;
