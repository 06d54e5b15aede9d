import { postForm, readJsonBody } from './harness.js';
import { userTokens } from './user-tokens.js';

export const API_SCOPES = 'users:read users:write users:factors labs:read labs:write clients:read clients:write audit:read events:read webhooks:read webhooks:write ssf:manage keys:read keys:write';
export const opsService = { id: 'ops-service', secret: 's3cret-value-ops-service' };
export const directoryService = { id: 'directory-service', secret: 's3cret-value-directory' };
export const root = { username: 'root', password: 'pass123-long-enough' };
/** Admin of lab-1. */
export const lena = { username: 'lena', password: 'pass123-long-enough' };
/** Admin of lab-2. */
export const otto = { username: 'otto', password: 'pass123-long-enough' };

/** A service's access token for the management API (client_credentials). */
export async function serviceToken(issuer: string, client: { id: string; secret: string }, scope = API_SCOPES): Promise<string> {
  const { status, body } = await postForm(`${issuer}/token`, { grant_type: 'client_credentials', resource: `${issuer}/api`, scope }, client);
  if (status !== 200) throw new Error(`client_credentials failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token as string;
}

/** A person's access token for the management API, through the browser flow (acting in `lab` if given). */
export async function personToken(issuer: string, user: { username: string; password: string }, options: { lab?: string; scope?: string } = {}): Promise<string> {
  const tokens = await userTokens(issuer, {
    user, scope: `openid ${options.scope ?? API_SCOPES}`, resource: `${issuer}/api`, extra: options.lab ? { lab: options.lab } : {},
  });
  return tokens.access_token;
}

export interface ApiResponse { status: number; body: any; headers: Headers }

/** Calls /api/v1 with a bearer token; `body` is sent as JSON unless `raw` is given. */
export async function api(issuer: string, token: string | undefined, method: string, path: string, body?: unknown, options: { raw?: string; contentType?: string } = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${issuer}/api/v1${path}`, { method, headers, body: payload });
  return { status: response.status, body: await readJsonBody(response), headers: response.headers };
}

/** Fixture users' ids by username, read from the database. */
export async function userIdsByName(db: (table: string) => { select(...columns: string[]): Promise<unknown[]> }): Promise<Record<string, string>> {
  const rows = (await db('users').select('username', 'id')) as Array<{ username: string; id: string }>;
  return Object.fromEntries(rows.map((u) => [u.username, u.id]));
}
