import { createHash } from 'node:crypto';

import { VerifierError } from '../verifier-error.js';

export interface IntrospectionSettings {
  endpoint: () => Promise<string | undefined>;
  clientId: string;
  clientSecret: string;
  cacheMs: number;
  maxEntries: number;
  timeoutMs: number;
  fetchImpl: typeof fetch;
}

interface Entry { until: number; answer: Promise<boolean> }

// RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded.
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

/**
 * RFC 7662 introspection answering only `active`, with a short cache keyed by the token's hash
 * (raw bearer tokens are not kept in memory). Concurrent requests with one token share one call.
 * Failures are not cached. The cache is bounded: expired entries go first, then the oldest.
 */
export function createIntrospection(settings: IntrospectionSettings): (token: string) => Promise<boolean> {
  const cache = new Map<string, Entry>();
  const authorization = `Basic ${Buffer.from(`${formEncode(settings.clientId)}:${formEncode(settings.clientSecret)}`).toString('base64')}`;

  async function ask(token: string): Promise<boolean> {
    const endpoint = await settings.endpoint();
    if (!endpoint) throw new VerifierError('introspection_unavailable', 'the token issuer publishes no introspection endpoint');
    let body: unknown;
    try {
      const response = await settings.fetchImpl(endpoint, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      // A 401 here means our own client credentials are wrong: still "cannot tell", never "inactive".
      if (response.status !== 200) throw new Error(`introspection answered HTTP ${response.status}`);
      body = await response.json();
    } catch (cause) {
      throw new VerifierError('introspection_unavailable', 'the token issuer cannot confirm the access token', { cause });
    }
    const active = (body as { active?: unknown } | null)?.active;
    if (typeof active !== 'boolean') {
      throw new VerifierError('introspection_unavailable', 'the token issuer cannot confirm the access token', { cause: new Error('introspection response has no boolean "active"') });
    }
    return active;
  }

  function evict(now: number): void {
    for (const [key, entry] of cache) if (entry.until <= now) cache.delete(key);
    // Map iteration is insertion order, so this drops the oldest entries.
    for (const key of cache.keys()) {
      if (cache.size < settings.maxEntries) break;
      cache.delete(key);
    }
  }

  return (token: string) => {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && hit.until > now) return hit.answer;
    if (settings.cacheMs <= 0) return ask(token);
    if (cache.size >= settings.maxEntries) evict(now);
    const answer = ask(token);
    const entry = { until: now + settings.cacheMs, answer };
    cache.set(key, entry);
    answer.catch(() => {
      if (cache.get(key) === entry) cache.delete(key);
    });
    return answer;
  };
}
