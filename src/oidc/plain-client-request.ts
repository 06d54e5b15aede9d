import type { Context } from 'koa';
import type Provider from 'oidc-provider';

/** RFC 6749 §2.3.1 / oidc-provider: a client id or secret is VSCHAR (printable ASCII). */
const VSCHAR = /^[\x20-\x7E]*$/;
const BASE64 = /^([A-Za-z0-9+/]+)(={0,2})$/;
/** Headers that bring CORS, DPoP or other client authentication into play: oidc-provider's to handle. */
const OTHER_MECHANISMS = ['origin', 'dpop', 'oauth-client-attestation', 'oauth-client-attestation-pop'];

/** A client as oidc-provider loaded it (its metadata, camelCased, plus its methods). */
export type ProviderClient = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>>;

/**
 * The parameters of a plain urlencoded form, when every one is among `allowed` and given once
 * with a value; else undefined (oidc-provider then decides, repeated or empty values included).
 * No DPoP, CORS or attestation header may come with it.
 */
export function plainForm(ctx: Context, allowed: ReadonlySet<string>): Record<string, string> | undefined {
  if (OTHER_MECHANISMS.some((header) => ctx.get(header) !== '')) return undefined;
  if (!ctx.is('application/x-www-form-urlencoded')) return undefined;
  // Parsed once by the protocol input check (koa-protocol-input.ts), from the bytes oidc-provider would read.
  const params = ctx.state.protocolParams as Record<string, unknown> | undefined;
  if (!params || typeof params !== 'object') return undefined;
  for (const [name, value] of Object.entries(params)) {
    if (!allowed.has(name) || typeof value !== 'string' || value === '') return undefined;
  }
  return params as Record<string, string>;
}

/**
 * The client a request's Basic credentials prove, when oidc-provider would accept them the same
 * way: a client registered for client_secret_basic or _post (oidc-provider takes either), whose
 * secret has no end date and matches. Undefined for anything else — a wrong secret included —
 * so that oidc-provider answers it, with its own error and wording.
 */
export async function plainBasicClient(provider: Provider, authorization: string): Promise<ProviderClient | undefined> {
  const credentials = basicCredentialsAsProviderReadsThem(authorization);
  if (!credentials) return undefined;
  const client = await findClient(provider, credentials.clientId);
  if (!client || !['client_secret_basic', 'client_secret_post'].includes(String(client.clientAuthMethod))) return undefined;
  if (client.clientSecretExpiresAt) return undefined;
  return (await client.compareClientSecret(credentials.secret)) ? client : undefined;
}

/**
 * The client id and secret of a Basic header, only when oidc-provider's client authentication
 * would read the same (valid base64, a colon, form-encoded halves of printable ASCII, a secret).
 */
function basicCredentialsAsProviderReadsThem(header: string): { clientId: string; secret: string } | undefined {
  const parts = header.split(' ');
  if (parts.length !== 2 || parts[0]!.toLowerCase() !== 'basic' || !isCanonicalBase64(parts[1]!)) return undefined;
  const decoded = Buffer.from(parts[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  try {
    const half = (text: string) => decodeURIComponent(text.replace(/\+/g, '%20'));
    const clientId = half(decoded.slice(0, colon));
    const secret = half(decoded.slice(colon + 1));
    return clientId && secret && VSCHAR.test(clientId) && VSCHAR.test(secret) ? { clientId, secret } : undefined;
  } catch {
    return undefined;
  }
}

/** Base64 as oidc-provider's client authentication accepts it: padding, if any, exactly right. */
function isCanonicalBase64(text: string): boolean {
  const match = BASE64.exec(text);
  if (!match) return false;
  const remainder = match[1]!.length % 4;
  return match[2] ? text.length % 4 === 0 && match[2].length === 4 - remainder : remainder !== 1;
}

/** Clients oidc-provider built, by the metadata object they were built from (per provider). */
const builtClients = new WeakMap<Provider, WeakMap<object, ProviderClient>>();

/**
 * `provider.Client.find`, without its cost on every request: oidc-provider serialises and hashes
 * a stored client's whole metadata on each lookup to know whether the client it built before
 * still holds. Gatehouse's adapter returns the same metadata object while its client cache holds
 * it, and a new one once the client changed or the entry expired, so the object itself says
 * whether the client built from it still holds. Entries go with the objects (weak keys).
 */
async function findClient(provider: Provider, clientId: string): Promise<ProviderClient | undefined> {
  const adapter = (provider.Client as unknown as { adapter: { find(id: string): Promise<object | undefined> } }).adapter;
  const metadata = await adapter.find(clientId);
  if (!metadata) return provider.Client.find(clientId);
  let built = builtClients.get(provider);
  if (!built) {
    built = new WeakMap();
    builtClients.set(provider, built);
  }
  let client = built.get(metadata);
  if (!client) {
    client = await provider.Client.find(clientId);
    if (client) built.set(metadata, client);
  }
  return client;
}

