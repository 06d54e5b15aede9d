import { VerifierError } from '../verifier-error.js';

/** The parts of Gatehouse's discovery document the verifier uses. */
export interface IssuerMetadata {
  issuer: string;
  jwks_uri: string;
  introspection_endpoint?: string;
}

/**
 * Fetches `<issuer>/.well-known/openid-configuration` once and keeps it. A failure is not
 * remembered, so the next request tries again instead of failing until restart.
 */
export function createDiscovery(issuer: string, fetchImpl: typeof fetch, timeoutMs: number): () => Promise<IssuerMetadata> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let pending: Promise<IssuerMetadata> | undefined;

  async function load(): Promise<IssuerMetadata> {
    let body: unknown;
    try {
      const response = await fetchImpl(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      if (response.status !== 200) throw new Error(`discovery answered HTTP ${response.status}`);
      body = await response.json();
    } catch (cause) {
      throw new VerifierError('keys_unavailable', 'the token issuer cannot be reached', { cause });
    }
    const metadata = body as Partial<IssuerMetadata> | null;
    // RFC 8414 §3.3: metadata whose issuer differs from the one we asked about must not be used,
    // or a compromised discovery host could point us at someone else's keys.
    if (metadata?.issuer !== issuer || typeof metadata.jwks_uri !== 'string') {
      throw new VerifierError('keys_unavailable', 'the token issuer published unusable metadata', {
        cause: new Error(`discovery at ${url} names issuer ${JSON.stringify(metadata?.issuer)} and jwks_uri ${JSON.stringify(metadata?.jwks_uri)}; expected issuer ${JSON.stringify(issuer)}`),
      });
    }
    return metadata as IssuerMetadata;
  }

  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
