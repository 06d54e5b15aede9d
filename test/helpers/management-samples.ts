import type { ApiResponse } from './management-api.js';

export interface MatrixContext {
  issuer: string;
  /** Fixture users' ids by username. */
  ids: Record<string, string>;
  /** Calls the API as ops-service (every scope): for setting up a request's target. */
  ops(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  unique(prefix: string): string;
  /** Signs a user in through the browser flow (a session and a grant for `portal`). */
  login(username: string, password: string): Promise<void>;
}

/** Who a sample request is made for: lab admins must give lab-specific fields others may not. */
export type Who = 'lab_admin' | 'other';

export interface MatrixSample {
  /** A valid request on lab-1 (lena's lab) or global; called once per caller, so it may set up a fresh target. */
  request(ctx: MatrixContext, who: Who): Promise<{ path: string; body?: unknown }>;
  /** Success status for callers that may call it. */
  ok: number;
  /** Whether a lab admin may call it (on their own lab). */
  labAdmin: boolean;
  /** Only service clients may call it (Shared Signals receivers): people, platform admins too, get 403. */
  servicesOnly?: boolean;
  /** The same request aimed at lab-2: a lab admin of lab-1 must get a 404 (or an empty list). */
  otherLab?(ctx: MatrixContext): Promise<{ path: string; body?: unknown; expect?: 404 | ((response: ApiResponse) => string | undefined); missingPath?: string }>;
}

/** A user of no lab yet: what a lab admin may add to their lab. */
async function labless(ctx: MatrixContext): Promise<string> {
  const created = await ctx.ops('POST', '/users', { username: ctx.unique('labless') });
  if (created.status !== 201) throw new Error(`could not create a user: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.id as string;
}

const PASSWORD = 'matrix-Pw-4812-zebra-lamp';

/** A new user, member of lab-1 (lena's lab), with a password: a disposable target. */
async function freshUser(ctx: MatrixContext, options: { password?: boolean } = {}): Promise<{ id: string; username: string }> {
  const username = ctx.unique('user');
  const created = await ctx.ops('POST', '/users', {
    username, email: `${username}@example.test`, ...(options.password === false ? {} : { password: PASSWORD }), labs: [{ labId: 'lab-1', role: 'member' }],
  });
  if (created.status !== 201) throw new Error(`could not create a user: ${created.status} ${JSON.stringify(created.body)}`);
  return { id: created.body.id as string, username };
}

/** A fresh lab-1 user who has signed in: one session, one grant. */
async function signedInUser(ctx: MatrixContext) {
  const user = await freshUser(ctx);
  await ctx.login(user.username, PASSWORD);
  const listed = await ctx.ops('GET', `/users/${user.id}/sessions`);
  return { ...user, sessionId: listed.body.sessions[0].id as string, grantId: listed.body.grants[0].id as string };
}

async function freshClient(ctx: MatrixContext): Promise<string> {
  const clientId = ctx.unique('client');
  const created = await ctx.ops('POST', '/clients', { clientId, clientName: clientId, grantTypes: ['client_credentials'], resources: ['https://cms.example'] });
  if (created.status !== 201) throw new Error(`could not create a client: ${created.status} ${JSON.stringify(created.body)}`);
  return clientId;
}

async function freshResource(ctx: MatrixContext): Promise<string> {
  const uri = `https://${ctx.unique('api')}.example`;
  const created = await ctx.ops('POST', '/resources', { uri, name: uri, scopes: ['things:read'], roles: ['viewer'] });
  if (created.status !== 201) throw new Error(`could not create a resource: ${created.status} ${JSON.stringify(created.body)}`);
  return encodeURIComponent(uri);
}

/** A webhook subscription to a public address (no DNS needed); a lab admin's is in lab-1. */
async function freshWebhook(ctx: MatrixContext, who: Who): Promise<string> {
  const created = await ctx.ops('POST', '/webhooks', { url: 'https://93.184.216.34/hook', ...(who === 'lab_admin' ? { labId: 'lab-1' } : {}) });
  if (created.status !== 201) throw new Error(`could not create a webhook: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.webhook.id as string;
}

/** Deletes ops-service's streams: a receiver holds at most 10, and the matrix makes one per call. */
async function clearStreams(ctx: MatrixContext): Promise<void> {
  const listed = await ctx.ops('GET', '/ssf/streams');
  const streams = (Array.isArray(listed.body) ? listed.body : [listed.body]) as Array<{ stream_id?: string }>;
  for (const { stream_id: id } of streams) if (id) await ctx.ops('DELETE', `/ssf/streams?stream_id=${id}`);
}

/** A poll stream of ops-service (the receiver every service sample calls as). */
async function freshStream(ctx: MatrixContext): Promise<string> {
  await clearStreams(ctx);
  const created = await ctx.ops('POST', '/ssf/streams', { delivery: { method: 'urn:ietf:rfc:8936' } });
  if (created.status !== 201) throw new Error(`could not create a stream: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.stream_id as string;
}

const CMS = 'https://cms.example';
const unknownId = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** One row per operationId: the specification the matrix test checks the API against. */
export const matrixSamples: Record<string, MatrixSample> = {
  resetUserFactors: { ok: 200, labAdmin: true, request: async (ctx) => ({ path: `/users/${(await freshUser(ctx)).id}/factors` }) },
  // Dynamic registration is off in the test configuration: creating a token is refused with 400 there.
  createInitialAccessToken: { ok: 400, labAdmin: false, request: async () => ({ path: '/initial-access-tokens', body: {} }) },
  listInitialAccessTokens: { ok: 200, labAdmin: false, request: async () => ({ path: '/initial-access-tokens' }) },
  revokeInitialAccessToken: { ok: 404, labAdmin: false, request: async () => ({ path: `/initial-access-tokens/${unknownId}` }) },
  readEvents: { ok: 200, labAdmin: true, request: async () => ({ path: '/events?after=latest' }) },
  listWebhooks: { ok: 200, labAdmin: true, request: async () => ({ path: '/webhooks' }) },
  createWebhook: { ok: 201, labAdmin: true, request: async () => ({ path: '/webhooks', body: { url: 'https://93.184.216.34/hook' } }) },
  getWebhook: { ok: 200, labAdmin: true, request: async (ctx, who) => ({ path: `/webhooks/${await freshWebhook(ctx, who)}` }) },
  updateWebhook: { ok: 200, labAdmin: true, request: async (ctx, who) => ({ path: `/webhooks/${await freshWebhook(ctx, who)}`, body: { description: 'matrix' } }) },
  deleteWebhook: { ok: 204, labAdmin: true, request: async (ctx, who) => ({ path: `/webhooks/${await freshWebhook(ctx, who)}` }) },
  listWebhookDeliveries: { ok: 200, labAdmin: true, request: async (ctx, who) => ({ path: `/webhooks/${await freshWebhook(ctx, who)}/deliveries` }) },
  // A subscription with no delivery yet: the redelivery of an unknown one is a 404 for every caller allowed to ask.
  redeliverWebhook: { ok: 404, labAdmin: true, request: async (ctx, who) => ({ path: `/webhooks/${await freshWebhook(ctx, who)}/deliveries/1/redeliver` }) },
  readSsfStreams: { ok: 200, labAdmin: false, servicesOnly: true, request: async () => ({ path: '/ssf/streams' }) },
  createSsfStream: {
    ok: 201, labAdmin: false, servicesOnly: true,
    request: async (ctx) => {
      await clearStreams(ctx);
      return { path: '/ssf/streams', body: { delivery: { method: 'urn:ietf:rfc:8936' } } };
    },
  },
  updateSsfStream: { ok: 200, labAdmin: false, servicesOnly: true, request: async (ctx) => ({ path: '/ssf/streams', body: { stream_id: await freshStream(ctx), description: 'matrix' } }) },
  replaceSsfStream: { ok: 200, labAdmin: false, servicesOnly: true, request: async (ctx) => ({ path: '/ssf/streams', body: { stream_id: await freshStream(ctx), delivery: { method: 'urn:ietf:rfc:8936' } } }) },
  deleteSsfStream: { ok: 204, labAdmin: false, servicesOnly: true, request: async (ctx) => ({ path: `/ssf/streams?stream_id=${await freshStream(ctx)}` }) },
  readSsfStatus: { ok: 200, labAdmin: false, servicesOnly: true, request: async (ctx) => ({ path: `/ssf/status?stream_id=${await freshStream(ctx)}` }) },
  updateSsfStatus: { ok: 200, labAdmin: false, servicesOnly: true, request: async (ctx) => ({ path: '/ssf/status', body: { stream_id: await freshStream(ctx), status: 'paused' } }) },
  verifySsfStream: { ok: 204, labAdmin: false, servicesOnly: true, request: async (ctx) => ({ path: '/ssf/verify', body: { stream_id: await freshStream(ctx), state: 'x' } }) },
  pollSsfStream: { ok: 200, labAdmin: false, servicesOnly: true, request: async (ctx) => ({ path: `/ssf/poll/${await freshStream(ctx)}`, body: { returnImmediately: true } }) },
  listLabs: { ok: 200, labAdmin: true, request: async () => ({ path: '/labs' }) },
  createLab: { ok: 201, labAdmin: false, request: async (ctx) => ({ path: '/labs', body: { name: ctx.unique('Lab') } }) },
  getLab: {
    ok: 200, labAdmin: true, request: async () => ({ path: '/labs/lab-1' }),
    otherLab: async () => ({ path: '/labs/lab-2' }),
  },
  updateLab: { ok: 200, labAdmin: false, request: async () => ({ path: '/labs/lab-1', body: { name: 'Test Lab' } }) },
  deleteLab: {
    ok: 204, labAdmin: false,
    request: async (ctx) => {
      const id = ctx.unique('doomed');
      await ctx.ops('POST', '/labs', { id, name: id });
      return { path: `/labs/${id}` };
    },
  },
  listMembers: {
    ok: 200, labAdmin: true, request: async () => ({ path: '/labs/lab-1/members' }),
    otherLab: async () => ({ path: '/labs/lab-2/members' }),
  },
  addMember: {
    ok: 201, labAdmin: true,
    request: async (ctx) => ({ path: '/labs/lab-1/members', body: { userId: await labless(ctx), role: 'viewer' } }),
    otherLab: async (ctx) => ({ path: '/labs/lab-2/members', body: { userId: await labless(ctx), role: 'viewer' } }),
  },
  getMember: {
    ok: 200, labAdmin: true, request: async (ctx) => ({ path: `/labs/lab-1/members/${ctx.ids.john}` }),
    otherLab: async (ctx) => ({ path: `/labs/lab-2/members/${ctx.ids.otto}` }),
  },
  updateMember: {
    ok: 200, labAdmin: true, request: async (ctx) => ({ path: `/labs/lab-1/members/${ctx.ids.john}`, body: { role: 'member' } }),
    otherLab: async (ctx) => ({ path: `/labs/lab-2/members/${ctx.ids.otto}`, body: { role: 'admin' } }),
  },
  removeMember: {
    ok: 204, labAdmin: true,
    request: async (ctx) => {
      const userId = await labless(ctx);
      await ctx.ops('POST', '/labs/lab-1/members', { userId, role: 'viewer' });
      return { path: `/labs/lab-1/members/${userId}` };
    },
    otherLab: async (ctx) => ({ path: `/labs/lab-2/members/${ctx.ids.otto}` }),
  },

  listUsers: {
    ok: 200, labAdmin: true, request: async () => ({ path: '/users' }),
    // Another lab is refused as a lab that does not exist would be (the filter names nothing).
    otherLab: async () => ({ path: '/users?lab=lab-2', expect: (response) => (response.status === 400 && response.body.errors?.[0]?.pointer === '#/query/lab' ? undefined : 'not refused as an unknown lab') }),
  },
  createUser: {
    ok: 201, labAdmin: true,
    request: async (ctx, who) => {
      const username = ctx.unique('new');
      return { path: '/users', body: { username, password: PASSWORD, ...(who === 'lab_admin' ? { membership: { role: 'member' } } : { labs: [{ labId: 'lab-1', role: 'member' }] }) } };
    },
  },
  batchUsers: {
    ok: 200, labAdmin: true, request: async (ctx) => ({ path: '/users:batch', body: { ids: [ctx.ids.john] } }),
    otherLab: async (ctx) => ({
      path: '/users:batch', body: { ids: [ctx.ids.otto] },
      expect: (r) => (r.status === 200 && r.body.users.length === 0 && r.body.unknown.includes(ctx.ids.otto) ? undefined : 'another lab\'s user must be listed as unknown'),
    }),
  },
  getUser: {
    ok: 200, labAdmin: true, request: async (ctx) => ({ path: `/users/${ctx.ids.john}` }),
    otherLab: async (ctx) => ({ path: `/users/${ctx.ids.otto}`, missingPath: `/users/${unknownId}` }),
  },
  updateUser: {
    ok: 200, labAdmin: true, request: async (ctx) => ({ path: `/users/${(await freshUser(ctx)).id}`, body: { givenName: 'Renamed' } }),
    otherLab: async (ctx) => ({ path: `/users/${ctx.ids.otto}`, body: { givenName: 'Renamed' }, missingPath: `/users/${unknownId}` }),
  },
  deleteUser: { ok: 204, labAdmin: false, request: async (ctx) => ({ path: `/users/${(await freshUser(ctx)).id}` }) },
  setUserPassword: {
    // Lab admins give first passwords only (a reset needs a platform admin or a service).
    ok: 204, labAdmin: true, request: async (ctx) => ({ path: `/users/${(await freshUser(ctx, { password: false })).id}/password`, body: { password: `${PASSWORD}-2` } }),
    otherLab: async (ctx) => ({ path: `/users/${ctx.ids.otto}/password`, body: { password: `${PASSWORD}-2` }, missingPath: `/users/${unknownId}/password` }),
  },
  blockUser: { ok: 200, labAdmin: false, request: async (ctx) => ({ path: `/users/${(await freshUser(ctx)).id}/block`, body: { reason: 'matrix test' } }) },
  restoreUser: {
    ok: 200, labAdmin: false,
    request: async (ctx) => {
      const { id } = await freshUser(ctx);
      await ctx.ops('POST', `/users/${id}/block`, { reason: 'matrix test' });
      return { path: `/users/${id}/restore` };
    },
  },
  listUserRoles: {
    ok: 200, labAdmin: true, request: async (ctx) => ({ path: `/users/${ctx.ids.john}/roles` }),
    otherLab: async (ctx) => ({ path: `/users/${ctx.ids.otto}/roles`, missingPath: `/users/${unknownId}/roles` }),
  },
  grantUserRole: {
    ok: 201, labAdmin: true,
    request: async (ctx) => ({ path: `/users/${(await freshUser(ctx)).id}/roles`, body: { resource: CMS, role: 'manager', lab: 'lab-1' } }),
    otherLab: async (ctx) => ({ path: `/users/${ctx.ids.otto}/roles`, body: { resource: 'https://tts.example', role: 'agent', lab: 'lab-2' }, missingPath: `/users/${unknownId}/roles` }),
  },
  withdrawUserRole: {
    ok: 204, labAdmin: true,
    request: async (ctx) => {
      const { id } = await freshUser(ctx);
      await ctx.ops('POST', `/users/${id}/roles`, { resource: CMS, role: 'manager', lab: 'lab-1' });
      return { path: `/users/${id}/roles?${new URLSearchParams({ resource: CMS, role: 'manager', lab: 'lab-1' })}` };
    },
    otherLab: async (ctx) => ({
      path: `/users/${ctx.ids.otto}/roles?${new URLSearchParams({ resource: 'https://tts.example', role: 'agent', lab: 'lab-2' })}`,
      missingPath: `/users/${unknownId}/roles?${new URLSearchParams({ resource: 'https://tts.example', role: 'agent', lab: 'lab-2' })}`,
    }),
  },
  listClientRoles: { ok: 200, labAdmin: false, request: async () => ({ path: '/clients/cms-backend/roles' }) },
  grantClientRole: { ok: 201, labAdmin: false, request: async (ctx) => ({ path: `/clients/${await freshClient(ctx)}/roles`, body: { resource: CMS, role: 'technician' } }) },
  withdrawClientRole: {
    ok: 204, labAdmin: false,
    request: async (ctx) => {
      const clientId = await freshClient(ctx);
      await ctx.ops('POST', `/clients/${clientId}/roles`, { resource: CMS, role: 'technician' });
      return { path: `/clients/${clientId}/roles?${new URLSearchParams({ resource: CMS, role: 'technician' })}` };
    },
  },
  listResources: { ok: 200, labAdmin: false, request: async () => ({ path: '/resources' }) },
  createResource: { ok: 201, labAdmin: false, request: async (ctx) => ({ path: '/resources', body: { uri: `https://${ctx.unique('new-api')}.example`, name: 'New API' } }) },
  getResource: { ok: 200, labAdmin: false, request: async () => ({ path: `/resources/${encodeURIComponent(CMS)}` }) },
  updateResource: { ok: 200, labAdmin: false, request: async (ctx) => ({ path: `/resources/${await freshResource(ctx)}`, body: { name: 'Renamed API' } }) },
  deleteResource: { ok: 204, labAdmin: false, request: async (ctx) => ({ path: `/resources/${await freshResource(ctx)}` }) },
  listClients: { ok: 200, labAdmin: false, request: async () => ({ path: '/clients' }) },
  createClient: {
    ok: 201, labAdmin: false,
    request: async (ctx) => ({ path: '/clients', body: { clientId: ctx.unique('new-client'), grantTypes: ['client_credentials'], resources: [CMS] } }),
  },
  getClient: { ok: 200, labAdmin: false, request: async () => ({ path: '/clients/portal' }) },
  updateClient: { ok: 200, labAdmin: false, request: async (ctx) => ({ path: `/clients/${await freshClient(ctx)}`, body: { clientName: 'Renamed' } }) },
  deleteClient: { ok: 204, labAdmin: false, request: async (ctx) => ({ path: `/clients/${await freshClient(ctx)}` }) },
  rotateClientSecret: { ok: 201, labAdmin: false, request: async (ctx) => ({ path: `/clients/${await freshClient(ctx)}/secret` }) },
  listUserSessions: {
    ok: 200, labAdmin: true, request: async (ctx) => ({ path: `/users/${ctx.ids.john}/sessions` }),
    otherLab: async (ctx) => ({ path: `/users/${ctx.ids.otto}/sessions`, missingPath: `/users/${unknownId}/sessions` }),
  },
  endAllUserSessions: {
    ok: 204, labAdmin: true, request: async (ctx) => ({ path: `/users/${(await signedInUser(ctx)).id}/sessions` }),
    otherLab: async (ctx) => ({ path: `/users/${ctx.ids.otto}/sessions`, missingPath: `/users/${unknownId}/sessions` }),
  },
  endUserSession: {
    ok: 204, labAdmin: true,
    request: async (ctx) => {
      const user = await signedInUser(ctx);
      return { path: `/users/${user.id}/sessions/${user.sessionId}` };
    },
    otherLab: async (ctx) => ({ path: `/users/${ctx.ids.otto}/sessions/${unknownId}`, missingPath: `/users/${unknownId}/sessions/${unknownId}` }),
  },
  revokeUserGrant: {
    ok: 204, labAdmin: true,
    request: async (ctx) => {
      const user = await signedInUser(ctx);
      return { path: `/users/${user.id}/grants/${user.grantId}` };
    },
    otherLab: async (ctx) => ({ path: `/users/${ctx.ids.otto}/grants/${unknownId}`, missingPath: `/users/${unknownId}/grants/${unknownId}` }),
  },
  getStatistics: { ok: 200, labAdmin: true, request: async () => ({ path: '/statistics' }) },
  queryAudit: { ok: 200, labAdmin: false, request: async () => ({ path: '/audit?limit=5' }) },
  exportAudit: { ok: 200, labAdmin: false, request: async () => ({ path: '/audit/export?action=lab.created' }) },
  verifyAudit: { ok: 200, labAdmin: false, request: async () => ({ path: '/audit/verification' }) },
  getActivity: { ok: 200, labAdmin: false, request: async () => ({ path: '/statistics/activity?period=24h' }) },
  listSigningKeys: { ok: 200, labAdmin: false, request: async () => ({ path: '/signing-keys' }) },
  // Published a day ahead: the key signing the matrix's tokens keeps signing.
  rotateSigningKey: { ok: 201, labAdmin: false, request: async () => ({ path: '/signing-keys:rotate', body: { activateInSeconds: 86_400 } }) },
};
