import { errors } from 'oidc-provider';

import { DEFAULT_RESOURCE_PROPERTY, RESOURCE_SCOPES_PROPERTY, RESOURCES_PROPERTY } from '../domain/client-metadata.js';
import type { ResourceRepository } from '../domain/ports/resource-repository.js';
import type { Resource } from '../domain/types.js';
import { createLookupCache, type LookupCacheOptions } from './lookup-cache.js';
import { resourceServerInfo } from './resource-server-info.js';

type ClientMetadata = { [key: string]: unknown };

export interface ClientResourcesDeps {
  resources: Pick<ResourceRepository, 'find'>;
  /** The resources a client known by its metadata document may ask for (the open-client policy). */
  dynamicClientResources: readonly string[];
  cache: LookupCacheOptions;
}

/**
 * Which resources (APIs) a client may get tokens for, and the token each gets: oidc-provider's
 * resource indicator callbacks and the client_credentials shortcut ask the same questions here,
 * so both mint alike. Resources are cached per node, keyed by whatever indicator a request
 * names: bounded like every cache here.
 */
export function createClientResources(deps: ClientResourcesDeps) {
  const resources = createLookupCache<Resource | undefined>(deps.cache, (uri) => deps.resources.find(uri));
  // A client known by its metadata document is stored nowhere: it gets the resources of the open-client policy.
  const byDocument = (client: ClientMetadata) => client.clientIdMetadataDocument === true;
  const allowedResources = (client: ClientMetadata): string[] => (byDocument(client)
    ? [...deps.dynamicClientResources]
    : (client[RESOURCES_PROPERTY] as string[] | undefined) ?? []);

  /** The resource server info of `indicator` for `client`, or undefined when it is unknown or not the client's. */
  async function serverInfo(client: ClientMetadata, indicator: string) {
    const resource = await resources.get(indicator);
    if (!resource || !allowedResources(client).includes(indicator)) return undefined;
    const clientScopes = new Set(byDocument(client) ? resource.scopes : (client[RESOURCE_SCOPES_PROPERTY] as string[] | undefined) ?? []);
    return resourceServerInfo(resource, resource.scopes.filter((s) => clientScopes.has(s)));
  }

  return {
    /** A resource by its URI, from the cache. */
    find: (uri: string): Promise<Resource | undefined> => resources.get(uri),
    /** The resource a token request naming none is for: the client's default, or the open-client policy's only one. */
    defaultResource(client: ClientMetadata): string | undefined {
      if (byDocument(client)) return deps.dynamicClientResources.length === 1 ? deps.dynamicClientResources[0] : undefined;
      return client[DEFAULT_RESOURCE_PROPERTY] as string | undefined;
    },
    serverInfo,
    /** oidc-provider's getResourceServerInfo: the same answer, or its invalid_target. */
    async requireServerInfo(client: ClientMetadata, indicator: string) {
      const info = await serverInfo(client, indicator);
      if (!info) throw new errors.InvalidTarget('resource is unknown or not allowed for this client');
      return info;
    },
  };
}

export type ClientResources = ReturnType<typeof createClientResources>;
