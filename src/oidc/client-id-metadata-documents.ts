import { GATEHOUSE_PROPERTY_PREFIX } from '../domain/client-metadata.js';

/** How long a fetched document is reused: its Cache-Control within these bounds (seconds). */
const CACHE_DURATION = { min: 30, max: 3600 };

export interface ClientIdMetadataDocumentOptions {
  enabled: boolean;
  /** Hosts whose documents are fetched (exact match); empty: any host the SSRF guard lets through. */
  hosts: readonly string[];
}

/**
 * oidc-provider's Client ID Metadata Document feature (draft-ietf-oauth-client-id-metadata-document):
 * an https client_id is fetched as the client's metadata. The fetch itself goes through the
 * provider's `fetch` (Gatehouse's SSRF-guarded one) with its 5 KiB body limit; oidc-provider keeps
 * at most 100 documents. Here: which hosts, and that a document cannot claim Gatehouse's own
 * metadata (resources, first party): a document is written by whoever controls that URL.
 */
export function clientIdMetadataDocumentFeature(options: ClientIdMetadataDocumentOptions) {
  const hosts = new Set(options.hosts.map((h) => h.toLowerCase()));
  return {
    enabled: options.enabled,
    ...(options.enabled ? { ack: 'draft-02' as const } : {}),
    async allowFetch(_ctx: unknown, clientId: string) {
      return !hosts.size || hosts.has(new URL(clientId).hostname.toLowerCase());
    },
    async allowClient(_ctx: unknown, client: object) {
      return !Object.entries(client).some(([key, value]) => key.startsWith(GATEHOUSE_PROPERTY_PREFIX) && value !== undefined);
    },
    cacheDuration: CACHE_DURATION,
  };
}
