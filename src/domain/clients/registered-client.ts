import type { ClientMetadata } from '../ports/client-repository.js';
import { RESOURCE_SCOPES_PROPERTY } from '../client-metadata.js';
import { ValidationError, type FieldError } from '../errors.js';
import { AUTH_METHODS, DEVICE_CODE_GRANT } from '../schemas/client-schemas.js';
import type { AuthMethod, ClientInput, GrantType } from '../management/client-management.js';

/** Grants a self-registered client may use: each needs a person. client_credentials and token exchange stay operator-made. */
const REGISTRABLE_GRANTS: readonly string[] = ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT];

/** RFC 7591 fields that only describe the client; kept as given so RFC 7592 reads return them. */
export const DESCRIPTIVE_FIELDS = ['client_id_issued_at', 'client_secret_expires_at', 'client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'contacts', 'software_id', 'software_version'] as const;

const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/**
 * What a dynamically registered client asked for, as the management rules take it. Only RFC 7591
 * fields are read: Gatehouse's own metadata (resources, first party, exchange targets) comes from
 * the registration policy, never from the registrant. `resources` are the policy's.
 */
export function registeredClientInput(metadata: ClientMetadata, resources: readonly string[]): ClientInput {
  const errors: FieldError[] = [];
  const grantTypes = (metadata.grant_types as string[] | undefined) ?? ['authorization_code'];
  grantTypes.forEach((grant, i) => {
    if (!REGISTRABLE_GRANTS.includes(grant)) errors.push({ field: `grantTypes.${i}`, detail: `${grant} cannot be registered dynamically (only ${REGISTRABLE_GRANTS.join(', ')})` });
  });
  const authMethod = (metadata.token_endpoint_auth_method as string | undefined) ?? 'client_secret_basic';
  if (!(AUTH_METHODS as readonly string[]).includes(authMethod)) errors.push({ field: 'tokenEndpointAuthMethod', detail: `must be one of ${AUTH_METHODS.join(', ')}` });
  if (errors.length) throw new ValidationError(`invalid client: ${errors.map((e) => `${e.field} ${e.detail}`).join('; ')}`, errors);

  const requested = strings(metadata[RESOURCE_SCOPES_PROPERTY]) ? metadata[RESOURCE_SCOPES_PROPERTY] : [];
  return {
    clientId: metadata.client_id,
    ...(typeof metadata.client_name === 'string' ? { clientName: metadata.client_name } : {}),
    redirectUris: strings(metadata.redirect_uris) ? metadata.redirect_uris : [],
    postLogoutRedirectUris: strings(metadata.post_logout_redirect_uris) ? metadata.post_logout_redirect_uris : [],
    grantTypes: grantTypes as GrantType[],
    scope: typeof metadata.scope === 'string' ? metadata.scope : '',
    resources: [...resources],
    // None named: every scope the policy's resources offer (the consent page still shows them).
    ...(requested.length ? { resourceScopes: requested } : {}),
    ...(resources.length === 1 ? { defaultResource: resources[0]! } : {}),
    tokenEndpointAuthMethod: authMethod as AuthMethod,
    ...(metadata.dpop_bound_access_tokens === true ? { dpopBoundAccessTokens: true } : {}),
  };
}

/** The descriptive RFC 7591 fields of a registration, to store beside the checked metadata. */
export function descriptiveFields(metadata: ClientMetadata): Record<string, unknown> {
  return Object.fromEntries(DESCRIPTIVE_FIELDS.filter((f) => metadata[f] !== undefined).map((f) => [f, metadata[f]]));
}
