/** The typed client of Gatehouse's management API (/api/v1): the only server interface the console uses besides sign-in. */

/** One field a problem (RFC 9457) points at: `field` is the JSON pointer's path in the body or query, dotted (`labs.0.labId`). */
export interface FieldProblem { pointer: string; field: string; detail: string }

/** A refusal or failure from the API, with the problem's title, detail and field errors. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly fields: readonly FieldProblem[],
  ) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
  }

  /** The message for one field, if the problem names it. */
  forField(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.detail;
  }
}

export interface Page<T> { items: T[]; total: number; limit: number; offset: number }
// A type (not an interface), so a query object fits the `Query` index signature.
export type PageQuery = { limit: number; offset: number };

export type MembershipRole = 'admin' | 'member' | 'viewer';
export type MembershipStatus = 'active' | 'invited' | 'suspended';
export const MEMBERSHIP_ROLES: readonly MembershipRole[] = ['admin', 'member', 'viewer'];
export const MEMBERSHIP_STATUSES: readonly MembershipStatus[] = ['active', 'invited', 'suspended'];

export interface User {
  id: string; username: string; email?: string; emailVerified: boolean; givenName?: string; familyName?: string;
  status: 'active' | 'blocked'; isAdmin: boolean; createdAt: string; updatedAt: string;
  labs: Array<{ labId: string; role: MembershipRole; status: MembershipStatus }>;
  roles: Array<{ resourceUri: string; role: string; labId?: string }>;
  attributes: Record<string, unknown>;
}
export interface Lab { id: string; name: string; status: 'active' | 'suspended'; memberCount: number; createdAt: string; updatedAt: string }
export interface Member { labId: string; userId: string; username: string; email?: string; role: MembershipRole; status: MembershipStatus; createdAt: string; updatedAt: string }
export interface RoleAssignment { resource: string; role: string; lab?: string }
export interface Resource { uri: string; name: string; accessTokenTtl: number; scopes: string[]; roles: string[] }
export interface BrowserSession { id: string; loginAt: string; expiresAt?: string; clients: string[] }
export interface UserGrant { id: string; clientId: string; createdAt: string; lastUsedAt: string; labId?: string; ip?: string; userAgent?: string; expiresAt?: string }

type Query = Record<string, string | number | undefined>;

export interface ApiOptions {
  /** The API's root, e.g. `https://id.example/api/v1`. */
  base: string;
  /** A current access token (refreshed as needed by the caller). */
  token: () => Promise<string>;
  /** Called when the API says the token is no longer good (401): the console signs in again. */
  onUnauthorized: () => void;
}

/** `#/body/labs/0/labId` → `labs.0.labId`. */
function fieldOf(pointer: string): string {
  return pointer.replace(/^#\/(body|query|params)\/?/, '').split('/').map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~')).join('.');
}

async function problemOf(response: Response): Promise<ApiError> {
  let body: { title?: string; detail?: string; errors?: Array<{ pointer?: string; detail?: string }> } = {};
  try {
    body = await response.json() as typeof body;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const fields = (body.errors ?? []).filter((e) => e.pointer).map((e) => ({ pointer: e.pointer!, field: fieldOf(e.pointer!), detail: e.detail ?? 'is invalid' }));
  return new ApiError(response.status, body.title ?? response.statusText ?? `HTTP ${response.status}`, body.detail, fields);
}

export function createApi(options: ApiOptions) {
  async function call<T>(method: string, path: string, init: { query?: Query; body?: unknown } = {}): Promise<T> {
    const url = new URL(`${options.base}${path}`);
    for (const [key, value] of Object.entries(init.query ?? {})) if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${await options.token()}` };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    } catch {
      throw new ApiError(0, 'Gatehouse could not be reached', 'Check the connection and try again.', []);
    }
    if (response.status === 401) options.onUnauthorized();
    if (!response.ok) throw await problemOf(response);
    // 204, and answers such as a redelivery's 202, carry no JSON.
    if (!/json/.test(response.headers.get('content-type') ?? '')) return undefined as T;
    return await response.json() as T;
  }
  const seg = encodeURIComponent;

  /** A file the API streams (an export), fetched with the token and handed over as a Blob to save. */
  async function download(path: string, query: Query = {}): Promise<Blob> {
    const url = new URL(`${options.base}${path}`);
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    const response = await fetch(url, { headers: { authorization: `Bearer ${await options.token()}` } });
    if (response.status === 401) options.onUnauthorized();
    if (!response.ok) throw await problemOf(response);
    return response.blob();
  }

  return {
    call,
    download,
    users: {
      list: (query: PageQuery & { q?: string; username?: string; status?: string; lab?: string }) => call<Page<User>>('GET', '/users', { query }),
      get: (id: string) => call<User>('GET', `/users/${seg(id)}`),
      create: (body: Record<string, unknown>) => call<User>('POST', '/users', { body }),
      update: (id: string, body: Record<string, unknown>) => call<User>('PATCH', `/users/${seg(id)}`, { body }),
      remove: (id: string) => call<void>('DELETE', `/users/${seg(id)}`),
      setPassword: (id: string, password: string) => call<void>('PUT', `/users/${seg(id)}/password`, { body: { password } }),
      resetFactors: (id: string) => call<{ removed: number }>('DELETE', `/users/${seg(id)}/factors`),
      block: (id: string, reason: string) => call<User>('POST', `/users/${seg(id)}/block`, { body: { reason } }),
      restore: (id: string) => call<User>('POST', `/users/${seg(id)}/restore`),
      roles: (id: string) => call<{ items: RoleAssignment[]; total: number }>('GET', `/users/${seg(id)}/roles`),
      grantRole: (id: string, body: RoleAssignment) => call<RoleAssignment>('POST', `/users/${seg(id)}/roles`, { body }),
      withdrawRole: (id: string, assignment: RoleAssignment) => call<void>('DELETE', `/users/${seg(id)}/roles`, { query: { ...assignment } }),
      sessions: (id: string) => call<{ sessions: BrowserSession[]; grants: UserGrant[] }>('GET', `/users/${seg(id)}/sessions`),
      endSession: (id: string, sessionId: string) => call<void>('DELETE', `/users/${seg(id)}/sessions/${seg(sessionId)}`),
      endAllSessions: (id: string) => call<void>('DELETE', `/users/${seg(id)}/sessions`),
      revokeGrant: (id: string, grantId: string) => call<void>('DELETE', `/users/${seg(id)}/grants/${seg(grantId)}`),
    },
    labs: {
      list: (query: PageQuery & { q?: string; status?: string }) => call<Page<Lab>>('GET', '/labs', { query }),
      get: (id: string) => call<Lab>('GET', `/labs/${seg(id)}`),
      create: (body: { id?: string; name: string }) => call<Lab>('POST', '/labs', { body }),
      update: (id: string, body: { name?: string; status?: 'active' | 'suspended' }) => call<Lab>('PATCH', `/labs/${seg(id)}`, { body }),
      remove: (id: string) => call<void>('DELETE', `/labs/${seg(id)}`),
      members: (id: string, query: PageQuery & { role?: string; status?: string }) => call<Page<Member>>('GET', `/labs/${seg(id)}/members`, { query }),
      addMember: (id: string, body: { userId: string; role: MembershipRole; status?: MembershipStatus }) => call<Member>('POST', `/labs/${seg(id)}/members`, { body }),
      updateMember: (id: string, userId: string, body: { role?: MembershipRole; status?: MembershipStatus }) => call<Member>('PATCH', `/labs/${seg(id)}/members/${seg(userId)}`, { body }),
      removeMember: (id: string, userId: string) => call<void>('DELETE', `/labs/${seg(id)}/members/${seg(userId)}`),
    },
    resources: {
      list: (query: PageQuery & { q?: string }) => call<Page<Resource>>('GET', '/resources', { query }),
    },
  };
}

export type Api = ReturnType<typeof createApi>;
