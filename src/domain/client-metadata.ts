/** Client metadata Gatehouse adds to RFC 7591's: which resources a client may ask for, its default, and its resource scopes. */
export const RESOURCES_PROPERTY = 'urn:gatehouse:resources';
export const DEFAULT_RESOURCE_PROPERTY = 'urn:gatehouse:default_resource';
/** Resource scopes (e.g. cases:read) the client may be granted; the standard `scope` holds only OIDC scopes. */
export const RESOURCE_SCOPES_PROPERTY = 'urn:gatehouse:resource_scopes';
/** The OpenID Connect scopes Gatehouse serves; any other scope belongs to a resource. */
export const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'labs'] as const;
/** Resources the client may get tokens for by exchanging a user's access token (RFC 8693); each one of its resources. */
export const TOKEN_EXCHANGE_RESOURCES_PROPERTY = 'urn:gatehouse:token_exchange_resources';
/** A trusted first-party client: its users are not shown the consent page (the grant is still created and recorded). */
export const FIRST_PARTY_PROPERTY = 'urn:gatehouse:first_party';
/**
 * RP-initiated logout ends this client's grants even when they hold offline_access (which
 * otherwise, as OIDC intends, outlive the browser session): its tokens die with the session.
 */
export const LOGOUT_ENDS_OFFLINE_GRANTS_PROPERTY = 'urn:gatehouse:logout_ends_offline_grants';
/** A client registered through RFC 7591 (or changed through RFC 7592): only such a client may be changed by its registration access token. */
export const REGISTERED_PROPERTY = 'urn:gatehouse:registered';
/** Where Gatehouse keeps its own client metadata: a registrant may not set any of it. */
export const GATEHOUSE_PROPERTY_PREFIX = 'urn:gatehouse:';
