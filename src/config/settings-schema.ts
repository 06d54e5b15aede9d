/**
 * The one schema for Gatehouse's settings. Each property documents itself: `description` is what
 * README's configuration table shows, `x-env` names the environment variable that sets it.
 * Defaults live here and nowhere else (ajv `useDefaults`).
 */
export const settingsSchema = {
  $id: 'gatehouse:settings',
  type: 'object',
  additionalProperties: false,
  required: ['port', 'environment'],
  $defs: {
    brand: {
      type: 'object', additionalProperties: false,
      properties: {
        displayName: { type: 'string', minLength: 1, maxLength: 100 },
        logoUrl: { type: 'string', maxLength: 2000, pattern: '^https://[^\\s"\'<>]+$' },
        accentColour: { type: 'string', pattern: '^#[0-9a-fA-F]{6}$' },
      },
    },
  },
  properties: {
    environment: {
      'x-env': 'NODE_ENV',
      enum: ['development', 'production', 'test'],
      default: 'development',
      description: 'development runs migrations and creates a signing key on start; production requires both to be done beforehand (`gatehouse migrate`, `gatehouse keys generate`) and requires cookieKeys, dpopNonceSecret and factorSecret.',
    },
    port: {
      'x-env': 'PORT', type: 'integer', minimum: 0, maximum: 65535, default: 3000,
      description: 'TCP port to listen on (0 picks a free one).',
    },
    workers: {
      'x-env': 'GATEHOUSE_WORKERS', type: 'string', pattern: '^(auto|[1-9][0-9]{0,2})$', default: '1',
      description: 'Worker processes `npm start` runs, sharing the port (node:cluster): a number, or `auto` for one per CPU. More than 1 needs DATABASE_URL and REDIS_URL (the embedded database and store belong to one process). A crashed worker is restarted (with a growing delay if it keeps crashing); SIGTERM lets every worker finish its requests, then exits 0. With several workers the metrics port is served by the supervising process, summed over the workers.',
    },
    host: {
      'x-env': 'HOST', type: 'string', minLength: 1, default: '0.0.0.0',
      description: 'Interface to bind.',
    },
    issuer: {
      'x-env': 'ISSUER', type: 'string', format: 'uri', pattern: '^https?://[^?#]+[^/?#]$',
      description: 'The OpenID issuer identifier, without a trailing slash. Default http://localhost:PORT.',
    },
    databaseUrl: {
      'x-env': 'DATABASE_URL', type: 'string', pattern: '^postgres(ql)?://',
      description: 'PostgreSQL connection string. Unset: embedded PGlite database in dataDir.',
    },
    databasePoolMax: {
      'x-env': 'DATABASE_POOL_MAX', type: 'integer', minimum: 1, maximum: 200, default: 10,
      description: 'Maximum PostgreSQL connections per process.',
    },
    redisUrl: {
      'x-env': 'REDIS_URL', type: 'string', pattern: '^rediss?(\\+(sentinel|cluster))?://',
      description: 'Redis connection string. Unset: in-process store (single process only). One server: `redis://[[user]:password@]host:port[/db]` (`rediss://` for TLS). Sentinel: `redis+sentinel://[[user]:password@]host:port,host:port,…/<master name>[/<db>]` lists the sentinels (port 26379 by default; they are asked without credentials, which are the data nodes\'). Cluster: `redis+cluster://[[user]:password@]host:port,host:port,…` lists some of its nodes (the rest are discovered). `rediss+sentinel://` and `rediss+cluster://` use TLS.',
    },
    redisKeyPrefix: {
      'x-env': 'REDIS_KEY_PREFIX', type: 'string', default: 'gh:', pattern: '^[^{}]*$',
      description: 'Prefix of every Redis key Gatehouse writes, so several deployments can share one Redis. No braces: keys that must meet in one Redis Cluster slot carry their own hash tag.',
    },
    dataDir: {
      'x-env': 'GATEHOUSE_DATA_DIR', type: 'string', minLength: 1, default: './data',
      description: 'Where the embedded database lives (only used without DATABASE_URL).',
    },
    keysDir: {
      'x-env': 'GATEHOUSE_KEYS_DIR', type: 'string', minLength: 1, default: './keys',
      description: 'Directory holding the private signing JWKS (jwks.json, mode 0600). Every node of a cluster must read the same one.',
    },
    keysReloadSeconds: {
      'x-env': 'GATEHOUSE_KEYS_RELOAD_SECONDS', type: 'number', minimum: 0.1, maximum: 3600, default: 2,
      description: 'How often a running node checks keysDir for a rotated key set.',
    },
    importFile: {
      'x-env': 'GATEHOUSE_IMPORT', type: 'string', minLength: 1,
      description: 'A declarative import file (config/import.schema.json) applied idempotently at start.',
    },
    migrateOnStart: {
      'x-env': 'GATEHOUSE_MIGRATE_ON_START', type: 'boolean',
      description: 'Run pending migrations at start. Default: true in development and test, false in production.',
    },
    cookieKeys: {
      'x-env': 'GATEHOUSE_COOKIE_KEYS', type: 'array', minItems: 1,
      items: { type: 'string', minLength: 32 },
      description: 'Comma-separated secrets (32+ chars) that sign cookies and CSRF tokens; first one signs. Required in production; development generates keysDir/cookie-keys.json.',
    },
    dpopNonceSecret: {
      'x-env': 'GATEHOUSE_DPOP_NONCE_SECRET', type: 'string', minLength: 32,
      description: 'Secret (32+ chars) from which every node derives the DPoP nonces it hands out and accepts (RFC 9449 §8), so a nonce from one node works at any other. Required in production; development and test derive it from the first cookie key.',
    },
    dpopRequireNonce: {
      'x-env': 'GATEHOUSE_DPOP_REQUIRE_NONCE', type: 'boolean', default: false,
      description: 'Refuse DPoP proofs sent to Gatehouse (token endpoint, userinfo) that carry no server-provided nonce: the answer is use_dpop_nonce with a DPoP-Nonce header to retry with. Off: responses to DPoP requests still offer a fresh nonce, and a proof without one is accepted if its iat is within 5 minutes of Gatehouse\'s clock.',
    },
    refreshTokenReuseGraceSeconds: {
      'x-env': 'GATEHOUSE_REFRESH_REUSE_GRACE_SECONDS', type: 'integer', minimum: 0, maximum: 300, default: 0,
      description: 'A consumed refresh token presented again within this many seconds is refused without revoking the grant (a client\'s honest double submit). After it, reuse revokes the whole grant.',
    },
    refreshTokenRetrySeconds: {
      'x-env': 'GATEHOUSE_REFRESH_RETRY_SECONDS', type: 'integer', minimum: 0, maximum: 300, default: 60,
      description: 'A client that never received the answer to a refresh (a node died, a proxy dropped it, the database went away) may present the same refresh token again within this many seconds of its use and gets a working pair: the same new refresh token, as long as that one is still unused, and a new access token. Only the token\'s own client; once the new refresh token was used, or after the window, presenting the old one is reuse and revokes the grant. 0 turns retries off.',
    },
    refreshTokenTtlSeconds: {
      'x-env': 'GATEHOUSE_REFRESH_TOKEN_TTL_SECONDS', type: 'integer', minimum: 60, default: 1209600,
      description: 'Lifetime of a refresh token (each rotation issues a new one with a fresh lifetime, bounded by the grant).',
    },
    grantTtlSeconds: {
      'x-env': 'GATEHOUSE_GRANT_TTL_SECONDS', type: 'integer', minimum: 60, default: 2592000,
      description: 'Absolute lifetime of a grant: no refresh beyond it without a new login.',
    },
    accessTokenTtlSeconds: {
      'x-env': 'GATEHOUSE_ACCESS_TOKEN_TTL_SECONDS', type: 'integer', minimum: 10, maximum: 86400, default: 300,
      description: 'Lifetime of access tokens that have no resource (opaque, for userinfo), and default for resources without access_token_ttl.',
    },
    idTokenTtlSeconds: {
      'x-env': 'GATEHOUSE_ID_TOKEN_TTL_SECONDS', type: 'integer', minimum: 10, maximum: 86400, default: 3600,
      description: 'Lifetime of ID tokens.',
    },
    sessionTtlSeconds: {
      'x-env': 'GATEHOUSE_SESSION_TTL_SECONDS', type: 'integer', minimum: 60, default: 86400,
      description: 'Lifetime of a browser SSO session.',
    },
    trustProxy: {
      'x-env': 'GATEHOUSE_TRUST_PROXY', type: 'boolean', default: false,
      description: 'Trust X-Forwarded-* headers (set behind a TLS-terminating proxy).',
    },
    trustProxyHops: {
      'x-env': 'GATEHOUSE_TRUST_PROXY_HOPS', type: 'integer', minimum: 1, maximum: 10, default: 1,
      description: 'With trustProxy: how many proxies in front of Gatehouse add to X-Forwarded-For. The client\'s address (rate limits, audit log) is that many entries from the end; entries before it are whatever the client sent and are ignored.',
    },
    loginMaxFailures: {
      'x-env': 'GATEHOUSE_LOGIN_MAX_FAILURES', type: 'integer', minimum: 0, maximum: 1000, default: 10,
      description: 'Failed logins for one login name after which it is locked for loginLockoutSeconds (the page still says only "invalid username or password"). 0 turns the lockout off.',
    },
    loginLockoutSeconds: {
      'x-env': 'GATEHOUSE_LOGIN_LOCKOUT_SECONDS', type: 'integer', minimum: 1, maximum: 86400, default: 900,
      description: 'The window in which failures are counted, and so how long a lockout lasts at most.',
    },
    mfaRequiredForAdmins: {
      'x-env': 'GATEHOUSE_MFA_ADMINS', type: 'boolean', default: true,
      description: 'Platform admins and lab admins must sign in with a second factor (TOTP, a passkey or a recovery code); one who has none enrols one during sign-in. docs/MFA.md.',
    },
    mfaRequiredLabs: {
      'x-env': 'GATEHOUSE_MFA_LABS', type: 'array', items: { type: 'string', minLength: 1 }, default: [],
      description: 'Comma-separated lab ids whose members must sign in with a second factor (every sign-in of an active member, whichever lab it acts in).',
    },
    mfaRequiredClients: {
      'x-env': 'GATEHOUSE_MFA_CLIENTS', type: 'array', items: { type: 'string', minLength: 1 }, default: [],
      description: 'Comma-separated client ids whose sign-ins need a second factor.',
    },
    mfaRequiredResources: {
      'x-env': 'GATEHOUSE_MFA_RESOURCES', type: 'array', items: { type: 'string', minLength: 1 }, default: [],
      description: 'Comma-separated resource indicators: tokens for them are issued only from a sign-in with a second factor.',
    },
    factorSecret: {
      'x-env': 'GATEHOUSE_FACTOR_SECRET', type: 'string', minLength: 32,
      description: 'Secret (32+ chars) from which the key encrypting TOTP secrets at rest is derived (AES-256-GCM); the same on every node, and kept: changing it makes enrolled authenticator apps unusable. Required in production; development and test derive it from the first cookie key.',
    },
    devicePollIntervalSeconds: {
      'x-env': 'GATEHOUSE_DEVICE_POLL_INTERVAL_SECONDS', type: 'integer', minimum: 1, maximum: 60, default: 5,
      description: 'Device authorization grant (RFC 8628): the `interval` a device is told to wait between token polls. A poll sooner than that after the previous one (or the device authorization) is answered slow_down.',
    },
    deviceCodeTtlSeconds: {
      'x-env': 'GATEHOUSE_DEVICE_CODE_TTL_SECONDS', type: 'integer', minimum: 60, maximum: 3600, default: 600,
      description: 'How long a device code and its user code stay valid: the time a person has to enter the code and sign in.',
    },
    deviceCodeMaxFailures: {
      'x-env': 'GATEHOUSE_DEVICE_CODE_MAX_FAILURES', type: 'integer', minimum: 0, maximum: 1000, default: 10,
      description: 'Wrong user codes one address may enter at /device within deviceCodeFailureWindowSeconds; past it the address gets a 429 page until the window ends. 0 turns the limit off.',
    },
    deviceCodeFailureWindowSeconds: {
      'x-env': 'GATEHOUSE_DEVICE_CODE_FAILURE_WINDOW_SECONDS', type: 'integer', minimum: 1, maximum: 86400, default: 900,
      description: 'The window in which wrong user codes are counted, and so how long an address is refused at most.',
    },
    apiResource: {
      'x-env': 'GATEHOUSE_API_RESOURCE', type: 'string', format: 'uri',
      description: 'Resource indicator (token audience) of the management API at /api/v1. Default ISSUER/api. Import files may write `{issuer}/api`.',
    },
    passwordMinLength: {
      'x-env': 'GATEHOUSE_PASSWORD_MIN_LENGTH', type: 'integer', minimum: 8, maximum: 128, default: 12,
      description: 'Shortest password the management API, CLI and self-registration accept (a bundled list of common passwords is refused too).',
    },
    passwordHashMemoryKib: {
      'x-env': 'GATEHOUSE_PASSWORD_HASH_MEMORY_KIB', type: 'integer', minimum: 1024, maximum: 4194304, default: 19456,
      description: 'argon2id memory cost of password hashes, in KiB (default OWASP\'s minimum, 19 MiB). Hashes made with other parameters are re-hashed at the next login. In production memory × time must be at least 38912 (the default\'s work); lower values are for tests and development only.',
    },
    passwordHashTimeCost: {
      'x-env': 'GATEHOUSE_PASSWORD_HASH_TIME_COST', type: 'integer', minimum: 1, maximum: 20, default: 2,
      description: 'argon2id passes over memory (time cost) of password hashes; see passwordHashMemoryKib.',
    },
    selfRegistration: {
      'x-env': 'GATEHOUSE_SELF_REGISTRATION', type: 'boolean', default: false,
      description: 'Open the public POST /api/v1/registrations endpoint (people create their own account, with no lab).',
    },
    smtpUrl: {
      'x-env': 'SMTP_URL', type: 'string', pattern: '^smtps?://',
      description: 'Where mail goes out (nodemailer connection URL: smtp://user:pass@host:587 uses STARTTLS when offered, smtps://host:465 implicit TLS). Unset: no mail, and the flows that need it are off — no password reset (no "forgot password" link, its pages answer 404), no address verification or change on the account page.',
    },
    mailFrom: {
      'x-env': 'GATEHOUSE_MAIL_FROM', type: 'string', minLength: 3, maxLength: 320,
      description: 'The From of Gatehouse\'s mails. Default "Gatehouse <no-reply@ISSUER host>".',
    },
    passwordResetTtlSeconds: {
      'x-env': 'GATEHOUSE_PASSWORD_RESET_TTL_SECONDS', type: 'integer', minimum: 60, maximum: 86400, default: 1800,
      description: 'How long a password reset link works (once).',
    },
    emailVerificationTtlSeconds: {
      'x-env': 'GATEHOUSE_EMAIL_VERIFICATION_TTL_SECONDS', type: 'integer', minimum: 300, maximum: 604800, default: 86400,
      description: 'How long an address verification link works (once).',
    },
    mailMaxPerAddress: {
      'x-env': 'GATEHOUSE_MAIL_MAX_PER_ADDRESS', type: 'integer', minimum: 0, maximum: 1000, default: 5,
      description: 'Reset and verification mails one address may be sent per mailRateWindowSeconds (counted for any typed address, so the limit reveals nothing); past it the page answers 429. 0: no limit.',
    },
    mailMaxPerIp: {
      'x-env': 'GATEHOUSE_MAIL_MAX_PER_IP', type: 'integer', minimum: 0, maximum: 100000, default: 20,
      description: 'Reset and verification mails one client IP may ask for per mailRateWindowSeconds. 0: no limit.',
    },
    mailRateWindowSeconds: {
      'x-env': 'GATEHOUSE_MAIL_RATE_WINDOW_SECONDS', type: 'integer', minimum: 1, maximum: 86400, default: 3600,
      description: 'The window of the mail limits.',
    },
    dynamicRegistration: {
      'x-env': 'GATEHOUSE_DYNAMIC_REGISTRATION', enum: ['off', 'initial-access-token', 'open'], default: 'off',
      description: 'Dynamic client registration (RFC 7591) at /reg, and management of a registered client with its registration access token (RFC 7592). off: no /reg. initial-access-token: a registration must carry an initial access token an operator created (POST /api/v1/initial-access-tokens). open: anyone may register (for MCP clients on a closed network; every client still gets only dynamicClientResources).',
    },
    dynamicClientResources: {
      'x-env': 'GATEHOUSE_DYNAMIC_CLIENT_RESOURCES', type: 'array', default: [], items: { type: 'string', format: 'uri' },
      description: 'Comma-separated resource URIs a dynamically registered client or a client identified by a metadata document may ask tokens for (with any of their scopes). Empty: such clients get only OpenID Connect scopes.',
    },
    clientIdMetadataDocuments: {
      'x-env': 'GATEHOUSE_CLIENT_ID_METADATA_DOCUMENTS', type: 'boolean', default: false,
      description: 'Accept an https URL as client_id and fetch the client\'s metadata from it (OAuth Client ID Metadata Documents, used by MCP clients); discovery then advertises client_id_metadata_document_supported. Fetched with SSRF protection: https only, public addresses only (see outboundAllowPrivateNetworks), 5 KiB, 2.5 s, no redirects; at most 100 documents cached, 30 s to 1 h each.',
    },
    clientIdMetadataDocumentHosts: {
      'x-env': 'GATEHOUSE_CLIENT_ID_METADATA_DOCUMENT_HOSTS', type: 'array', default: [], items: { type: 'string', minLength: 1 },
      description: 'Comma-separated host names whose metadata documents are fetched (exact match). Empty: any public host.',
    },
    outboundCaFile: {
      'x-env': 'GATEHOUSE_OUTBOUND_CA_FILE', type: 'string', minLength: 1,
      description: 'A PEM file of certificate authorities trusted for outbound https calls besides the system\'s (a private CA).',
    },
    clientSecretOverlapSeconds: {
      'x-env': 'GATEHOUSE_CLIENT_SECRET_OVERLAP_SECONDS', type: 'integer', minimum: 0, maximum: 2592000, default: 86400,
      description: 'After a client secret is rotated, the previous one keeps working this long, so services can roll over.',
    },
    clientCacheSeconds: {
      'x-env': 'GATEHOUSE_CLIENT_CACHE_SECONDS', type: 'number', minimum: 0, maximum: 3600, default: 5,
      description: 'How long each node reuses a client\'s metadata and a service client\'s roles it read (unknown client_ids included): a change made through another node applies here within it. 0 reads the database every time.',
    },
    resourceCacheSeconds: {
      'x-env': 'GATEHOUSE_RESOURCE_CACHE_SECONDS', type: 'number', minimum: 0, maximum: 3600, default: 5,
      description: 'How long each node reuses a resource (audience, scopes, token lifetime) it read: new tokens follow a change within it. 0 reads the database every time.',
    },
    cacheMaxEntries: {
      'x-env': 'GATEHOUSE_CACHE_MAX_ENTRIES', type: 'integer', minimum: 1, maximum: 10000000, default: 10000,
      description: 'Most entries each in-memory cache of a node holds (clients, resources, service-client roles, verified access tokens); the least recently used goes first. Keeps memory flat whatever client_ids or tokens requests carry.',
    },
    rateLimits: {
      'x-env': 'GATEHOUSE_RATE_LIMITS', type: 'boolean', default: true,
      description: 'Per-client and per-address request limits on the endpoint groups below (docs/DEPLOYMENT.md, "Rate limits"). Over a limit: 429 with Retry-After and RateLimit headers. false turns every limit off (for example behind a gateway that limits already).',
    },
    rateLimitToken: {
      'x-env': 'GATEHOUSE_RATE_LIMIT_TOKEN', type: 'string', pattern: '^(client=[1-9][0-9]*,)?ip=[1-9][0-9]*,window=[1-9][0-9]*$', default: 'client=300000,ip=3000,window=60',
      description: 'POST /token (every grant, device polls included): `client=N,ip=N,window=S`: N requests per S-second window for each authenticated client (confidential clients; their requests do not count against their address) and for each address (unauthenticated requests and public clients).',
    },
    rateLimitIntrospection: {
      'x-env': 'GATEHOUSE_RATE_LIMIT_INTROSPECTION', type: 'string', pattern: '^(client=[1-9][0-9]*,)?ip=[1-9][0-9]*,window=[1-9][0-9]*$', default: 'client=600000,ip=3000,window=60',
      description: 'POST /token/introspection: `client=N,ip=N,window=S`: N requests per S-second window for each authenticated client (confidential clients; their requests do not count against their address) and for each address (unauthenticated requests and public clients).',
    },
    rateLimitRevocation: {
      'x-env': 'GATEHOUSE_RATE_LIMIT_REVOCATION', type: 'string', pattern: '^(client=[1-9][0-9]*,)?ip=[1-9][0-9]*,window=[1-9][0-9]*$', default: 'client=60000,ip=600,window=60',
      description: 'POST /token/revocation: `client=N,ip=N,window=S`: N requests per S-second window for each authenticated client (confidential clients; their requests do not count against their address) and for each address (unauthenticated requests and public clients).',
    },
    rateLimitDevice: {
      'x-env': 'GATEHOUSE_RATE_LIMIT_DEVICE', type: 'string', pattern: '^(client=[1-9][0-9]*,)?ip=[1-9][0-9]*,window=[1-9][0-9]*$', default: 'client=6000,ip=300,window=60',
      description: 'POST /device/auth (device authorization) and POST /device (a person entering a user code: per address only): `client=N,ip=N,window=S`: N requests per S-second window for each authenticated client (confidential clients; their requests do not count against their address) and for each address (unauthenticated requests and public clients).',
    },
    rateLimitLogin: {
      'x-env': 'GATEHOUSE_RATE_LIMIT_LOGIN', type: 'string', pattern: '^ip=[1-9][0-9]*,window=[1-9][0-9]*$', default: 'ip=120,window=60',
      description: 'POST /interaction/.../login (password sign-in), per address; each login name also has its own lockout (loginMaxFailures): `ip=N,window=S`: N requests per S-second window for each address.',
    },
    rateLimitRegistration: {
      'x-env': 'GATEHOUSE_RATE_LIMIT_REGISTRATION', type: 'string', pattern: '^ip=[1-9][0-9]*,window=[1-9][0-9]*$', default: 'ip=30,window=600',
      description: 'POST /api/v1/registrations (self-registration), per address: `ip=N,window=S`: N requests per S-second window for each address.',
    },
    rateLimitManagement: {
      'x-env': 'GATEHOUSE_RATE_LIMIT_MANAGEMENT', type: 'string', pattern: '^(client=[1-9][0-9]*,)?ip=[1-9][0-9]*,window=[1-9][0-9]*$', default: 'client=60000,ip=600,window=60',
      description: 'the management API under /api/v1 (registrations apart), the caller being the token\'s client (service tokens) or user: `client=N,ip=N,window=S`: N requests per S-second window for each authenticated client (confidential clients; their requests do not count against their address) and for each address (unauthenticated requests and public clients).',
    },
    metricsPort: {
      'x-env': 'GATEHOUSE_METRICS_PORT', type: 'integer', minimum: 0, maximum: 65535,
      description: 'Serve Prometheus metrics at /metrics on this port (on metricsHost), apart from the public port. Unset with no metricsToken: no metrics endpoint.',
    },
    metricsHost: {
      'x-env': 'GATEHOUSE_METRICS_HOST', type: 'string', minLength: 1, default: '127.0.0.1',
      description: 'Interface the metrics port binds (a scraper on another host needs 0.0.0.0 and a firewall).',
    },
    metricsToken: {
      'x-env': 'GATEHOUSE_METRICS_TOKEN', type: 'string', minLength: 16,
      description: 'Serve /metrics on the public port too, to requests with `Authorization: Bearer <this token>` (others get 404).',
    },
    amqpUrl: {
      'x-env': 'AMQP_URL', type: 'string', pattern: '^amqps?://',
      description: 'RabbitMQ (AMQP 0-9-1) connection string. Set: every event is also published to the amqpExchange topic exchange (routing key = event type, persistent, publisher confirms).',
    },
    amqpExchange: {
      'x-env': 'GATEHOUSE_AMQP_EXCHANGE', type: 'string', minLength: 1, maxLength: 255, default: 'gatehouse.events',
      description: 'The topic exchange events are published to (declared durable on first use).',
    },
    eventsPollMs: {
      'x-env': 'GATEHOUSE_EVENTS_POLL_MS', type: 'integer', minimum: 10, maximum: 60000, default: 200,
      description: 'How often each node looks for events to relay (RabbitMQ, webhook fan-out, due webhook deliveries) and for new events to stream to live feeds.',
    },
    eventRetentionDays: {
      'x-env': 'GATEHOUSE_EVENT_RETENTION_DAYS', type: 'integer', minimum: 2, maximum: 3650, default: 30,
      description: 'Events (and their webhook delivery log) older than this are swept — never one a relay has not passed or a webhook delivery still pending; the pull feed reaches back this far. At least 2 days (webhook retries run over 24 h).',
    },
    webhookTimeoutSeconds: {
      'x-env': 'GATEHOUSE_WEBHOOK_TIMEOUT_SECONDS', type: 'number', minimum: 0.1, maximum: 60, default: 10,
      description: 'Longest wait for a webhook receiver to answer a delivery; no answer counts as a failure and is retried.',
    },
    webhookRetryDelaysSeconds: {
      'x-env': 'GATEHOUSE_WEBHOOK_RETRY_DELAYS', type: 'array', minItems: 1, maxItems: 50, items: { type: 'number', minimum: 0, maximum: 604800 },
      description: 'Delays before each retry of a failed webhook delivery (comma-separated seconds, ±20 % jitter). Unset: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 10 h (over 24 h in all). After the last, the delivery fails and its subscription is disabled (audited).',
    },
    outboundAllowPrivateNetworks: {
      'x-env': 'GATEHOUSE_OUTBOUND_ALLOW_PRIVATE', type: 'boolean', default: false,
      description: 'Allow requests Gatehouse is told to make (webhook deliveries, client ID metadata documents) to private, loopback, link-local and reserved addresses. Off: such targets are refused when configured and at connect time (SSRF protection).',
    },
    outboundAllowHttp: {
      'x-env': 'GATEHOUSE_OUTBOUND_ALLOW_HTTP', type: 'boolean',
      description: 'Allow plain-http webhook URLs. Unset: allowed in development and test, refused in production.',
    },
    userAttributes: {
      'x-env': 'GATEHOUSE_USER_ATTRIBUTES', type: 'object', default: {},
      description: 'Custom user attributes, as a JSON object of name → JSON Schema (e.g. `{"company_id": {"type": "string", "maxLength": 64}}`); names match ^[a-z][a-z0-9_]{0,63}$ and are not claims Gatehouse issues. Set through the management API (`attributes`) and the import; a resource lists the ones its access tokens carry (`tokenClaims`).',
    },
    branding: {
      'x-env': 'GATEHOUSE_BRANDING', type: 'object', additionalProperties: false, default: {},
      properties: {
        clients: { type: 'object', maxProperties: 1000, propertyNames: { maxLength: 200 }, additionalProperties: { $ref: '#/$defs/brand' } },
        labs: { type: 'object', maxProperties: 1000, propertyNames: { maxLength: 200 }, additionalProperties: { $ref: '#/$defs/brand' } },
      },
      description: 'How the pages look per client or lab, as JSON: `{"clients": {"<client id>": BRAND}, "labs": {"<lab id>": BRAND}}`, BRAND being `{"displayName": "…", "logoUrl": "https://…", "accentColour": "#rrggbb"}` (all optional; the accent needs 4.5:1 contrast on white). A lab\'s brand outranks its client\'s. See docs/LOCALISATION.md.',
    },
    backchannelLogoutAttempts: {
      'x-env': 'GATEHOUSE_BACKCHANNEL_LOGOUT_ATTEMPTS', type: 'integer', minimum: 1, maximum: 20, default: 6,
      description: 'Tries per client to deliver a back-channel logout token (the first and the retries, waiting 1 s, 2 s, 4 s… between them), in the background.',
    },
    logLevel: {
      'x-env': 'LOG_LEVEL', enum: ['debug', 'info', 'warn', 'error', 'silent'], default: 'info',
      description: 'Minimum level of the JSON log lines written to stdout.',
    },
  },
} as const;
