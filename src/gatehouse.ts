import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type Provider from 'oidc-provider';
import type { Registry } from 'prom-client';
import type { KoaContextWithOIDC } from 'oidc-provider';

import type { Config } from './config/load-config.js';
import { packageVersion } from './config/paths.js';
import { AppError } from './domain/errors.js';
import { parseImportDocument } from './config/import-document.js';
import { createApiAuthenticator } from './http/api/api-auth.js';
import { createApiRouter } from './http/api/api-router.js';
import { createConsoleRoutes } from './http/routes/console-routes.js';
import { buildOpenApiDocument } from './http/api/openapi.js';
import { createManagementOperations } from './http/api/operations/index.js';
import { createHttpApp } from './http/app.js';
import { createHealthRoutes } from './http/routes/health-routes.js';
import { createTraceContext } from './http/middleware/koa-trace-context.js';
import { createRegistrationRoutes } from './http/routes/registration-routes.js';
import { rateLimitMiddleware } from './http/rate-limits/koa-rate-limit.js';
import { rateLimitSettings } from './config/rate-limit-settings.js';
import { createStaticRoutes } from './http/routes/static-routes.js';
import { createCsrf } from './interactions/csrf.js';
import { createErrorPage } from './interactions/error-page.js';
import { createInteractionRoutes } from './interactions/interaction-routes.js';
import { createAccountRoutes } from './interactions/account-routes.js';
import { accountSecondFactors } from './interactions/account-second-factor-routes.js';
import { createAccountSignIn } from './interactions/account-sign-in.js';
import { createEmailRoutes } from './interactions/email-routes.js';
import { createAnonymousCsrf } from './interactions/page-forms.js';
import { accountClientSecret } from './domain/account/account-client.js';
import { PASSWORD_RESET_PATH } from './domain/email/email-link-paths.js';
import type { Mailer } from './domain/ports/mailer.js';
import { createNodemailerMailer } from './mail/nodemailer-mailer.js';
import { BRANDS_CSS_PATH, createBranding, type BrandingSettings } from './config/branding.js';
import { createViews } from './interactions/views.js';
import { withContext, type Logger } from './logger.js';
import { createAccessTokenReader, type AccessTokenReader } from './oidc/access-token-reader.js';
import { createAdapterClass } from './oidc/adapter.js';
import { createBackchannelLogout } from './oidc/backchannel-logout.js';
import { createRegisteredClientStore } from './oidc/client-registration.js';
import { createOutboundFetch } from './lib/outbound-fetch.js';
import { watchKeyFile } from './oidc/key-watcher.js';
import { announceSigningKey } from './oidc/signing-keys.js';
import { ensureDevCookieKeys, ensureKeyFile, keyFilePath, keysInSigningOrder, readKeyFile, type KeyFile } from './oidc/keys.js';
import { createLabPolicy } from './oidc/lab-policy.js';
import { answerStorageOutagesWith503, withProtocolErrors } from './oidc/errors.js';
import { dpopNonceKey, makeReplayDetectionAtomic } from './oidc/dpop.js';
import { createProvider } from './oidc/provider.js';
import { createRefreshReusePolicy } from './oidc/refresh-reuse-policy.js';
import { installStructuredTokenSupport, type StructuredTokenAnswers } from './oidc/structured-tokens.js';
import { jwtIntrospectionShortcut } from './oidc/jwt-introspection-shortcut.js';
import { clientCredentialsShortcut } from './oidc/client-credentials-shortcut.js';
import { createClientResources } from './oidc/client-resources.js';
import { Rs256SigningKey } from './oidc/rs256-signing-key.js';
import { createMetrics, type Metrics } from './metrics/create-metrics.js';
import { metricsMiddleware } from './metrics/koa-metrics.js';
import { createMetricsRoutes, startMetricsServer } from './metrics/metrics-routes.js';
import { createOutboxRelay, webhookFanOut, type OutboxRelay } from './domain/events/outbox-relay.js';
import { createWebhookDispatcher } from './domain/events/webhook-dispatcher.js';
import { createAmqpSink } from './events/amqp-sink.js';
import { startBackgroundLoop } from './events/background-loop.js';
import { createWebhookSender } from './events/webhook-sender.js';
import { buildAsyncApiDocument } from './http/api/asyncapi.js';
import { createSharedSignals, type SharedSignals } from './domain/ssf/shared-signals.js';
import { createSetPusher, createSetSigner } from './events/security-event-tokens.js';
import { checkOutboundUrl, type OutboundPolicy } from './lib/outbound-request.js';
import { createSsfRoutes } from './http/routes/ssf-routes.js';
import { createServices, type Services } from './services.js';
import { createAvailabilityLog } from './storage/availability-log.js';
import { createStorage, type Storage } from './storage/create-storage.js';

export interface Gatehouse {
  readonly url: string;
  readonly storage: Storage;
  /** Where the separate metrics port serves /metrics (GATEHOUSE_METRICS_PORT), if it is on. */
  readonly metricsUrl?: string;
  /** The use cases the server runs on (tests and embedders apply changes through them). */
  readonly services: Services;
  /** This process's metrics (a cluster's supervisor sums the workers' registries). */
  readonly metricsRegistry: Registry;
  /** The provider serving now (replaced on key rotation). */
  provider(): Provider;
  close(): Promise<void>;
}

/**
 * Deletes expired tokens, revocation entries, orphaned lab choices and grant origins, and token
 * counts older than the statistics show, every 10 minutes (any node may; it is idempotent).
 */
function scheduleSweep(services: Services, log: Logger): () => void {
  const timer = setInterval(() => {
    services.sweep()
      .then((swept) => log.debug('expired rows swept', swept))
      .catch((error: unknown) => log.warn('sweep failed', { error }));
  }, 10 * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}

/** How long close() lets requests in flight finish before it cuts their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Stops accepting connections and waits until those left are done: idle keep-alive connections
 * are closed at once, busy ones as soon as their response is sent; after `graceMs` the rest are cut.
 */
function drain(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** oidc-provider's outbound calls (metadata documents, jwks_uri): its own per-purpose limits apply within these. */
const OUTBOUND_TIMEOUT_MS = 2500;
const OUTBOUND_MAX_BYTES = 256 * 1024;

/**
 * What answers 503 while Redis (the store) is down and Postgres is up: everything that keeps
 * short-lived or replay state there, or checks the revocation list's copy (docs/DEPLOYMENT.md,
 * "Readiness"). client_credentials issuance, userinfo with a token from before, discovery and
 * JWKS keep working (test/readiness-and-logs.test.ts checks issuance and userinfo).
 */
const STORE_FEATURES = [
  'sign-in and consent pages (sessions, interactions)', 'authorization code grant', 'refresh token grant',
  'introspection and revocation', 'device authorization grant', 'pushed authorization requests',
  'DPoP proofs', 'token exchange', 'management API',
];

const causeOf = (error: unknown) => (error instanceof Error && error.cause !== undefined ? error.cause : error);

const outboundPolicy = (config: Config): OutboundPolicy => ({ allowPrivateNetworks: config.outboundAllowPrivateNetworks, allowHttp: config.outboundAllowHttp });

/**
 * The outbox relays of this node: RabbitMQ (when configured), the webhook fan-out and the
 * webhook deliveries. Every node runs them; leases keep any two from doing the same work.
 */
function startEventRelays(config: Config, storage: Storage, services: Services, sharedSignals: SharedSignals, metrics: Metrics, log: Logger): Array<() => Promise<void>> {
  const loop = (name: string, task: () => Promise<number>, fullAt?: number) => startBackgroundLoop(name, task, { idleMs: config.eventsPollMs, log, fullAt });
  // A relay goes again at once only after a full batch: under a steady trickle of changes,
  // a pass per change would cost a lease transaction per event and relay after every write
  // (it doubled the queries of a management write); one pass per poll takes them together.
  const relayLoop = (name: string, relay: OutboxRelay, task: () => Promise<number> = () => relay.relayOnce()) => loop(name, task, relay.batchSize);
  const newestSeq = () => storage.repos.events.latestSeq();
  const lease = storage.leaseRelayCursor;
  const stops: Array<() => Promise<void>> = [];
  const counted = (relay: keyof ReturnType<typeof relayCursors>, task: () => Promise<number>) => async () => {
    const count = await task();
    metrics.eventsRelayed(relay, count);
    return count;
  };
  const cursors = relayCursors(config);
  if (cursors.rabbitmq) {
    const sink = createAmqpSink({ url: config.amqpUrl!, exchange: config.amqpExchange });
    const relay = createOutboxRelay({ name: cursors.rabbitmq, lease, sink, newestSeq });
    stops.push(relayLoop('event relay to RabbitMQ', relay, counted('rabbitmq', () => relay.relayOnce())), () => sink.close());
  }
  const fanOut = createOutboxRelay({ name: cursors.webhooks, lease, sink: webhookFanOut, listened: (repos) => repos.webhooks.anySubscription(), newestSeq });
  const dispatcher = createWebhookDispatcher({
    webhooks: storage.repos.webhooks,
    send: createWebhookSender({ policy: outboundPolicy(config), timeoutMs: config.webhookTimeoutSeconds * 1000 }),
    audit: services.audit,
    clock: services.clock,
    retryDelaysSeconds: config.webhookRetryDelaysSeconds,
    leaseSeconds: config.webhookTimeoutSeconds * 3 + 5,
    observe: (outcome) => metrics.webhookDelivery(outcome),
  });
  stops.push(relayLoop('webhook fan-out', fanOut, counted('webhooks', () => fanOut.relayOnce())), loop('webhook deliveries', () => dispatcher.deliverDue()));
  const signals = createOutboxRelay({ name: 'ssf', lease, sink: sharedSignals.sink, listened: (repos) => repos.ssf.anyStreamTaking(), newestSeq });
  const push = createSetPusher({ policy: outboundPolicy(config), timeoutMs: config.webhookTimeoutSeconds * 1000 });
  stops.push(relayLoop('security event tokens', signals), loop('security event push', () => sharedSignals.pushDue(push, config.webhookTimeoutSeconds * 3 + 5)));
  return stops;
}

/** The relays a node runs (metrics label) and the outbox cursor each one leases. */
function relayCursors(config: Config): { rabbitmq?: string; webhooks: string } {
  return { ...(config.amqpUrl ? { rabbitmq: `amqp:${config.amqpExchange}` } : {}), webhooks: 'webhooks' };
}

/** The metrics' relay lag, labelled by relay rather than by cursor name. */
async function relayLagByRelay(config: Config, storage: Storage): Promise<Map<string, number>> {
  const cursors = Object.entries(relayCursors(config)) as Array<[string, string]>;
  const lags = await storage.relayLag(cursors.map(([, cursor]) => cursor));
  return new Map(cursors.filter(([, cursor]) => lags.has(cursor)).map(([relay, cursor]) => [relay, lags.get(cursor)!]));
}

export class StartupError extends AppError {
  constructor(message: string) {
    super('startup_failed', 500, message, { expose: true });
  }
}

/** The composition root: config → storage → services (use cases) → provider → http → listen. */
export async function startGatehouse(config: Config, baseLog: Logger): Promise<Gatehouse> {
  // Every line written while serving a request carries its trace and request ids.
  const trace = createTraceContext();
  const log = withContext(baseLog, trace.current);
  let storage: Storage | undefined;
  // Counted from the first query on: storage reports each call's time to the metrics, and its
  // availability changes to the log (one line per change, not one per failed call).
  const metrics = createMetrics({ poolStats: () => storage?.poolStats(), relayLag: async () => (storage ? relayLagByRelay(config, storage) : new Map()) });
  const availability = createAvailabilityLog(log);
  storage = await createStorage(config, log, (observation) => {
    metrics.storage(observation);
    availability.observe(observation);
  });
  const stops: Array<() => unknown> = [];
  let metricsUrl: string | undefined;
  let mailer: Mailer | undefined;
  let server: Server | undefined;
  try {
    log.info('storage ready', {
      database: storage.databaseMode === 'postgres' ? 'postgres' : `embedded PGlite in ${config.dataDir}`,
      store: storage.store.mode === 'redis' ? 'redis' : 'in-process (single node only)',
    });

    if (config.migrateOnStart) {
      const applied = await storage.migrateLatest();
      if (applied.length) log.info('migrations applied', { applied });
    } else {
      const pending = await storage.pendingMigrations();
      if (pending.length) throw new StartupError(`database has ${pending.length} pending migration(s); run \`gatehouse migrate\` first`);
    }

    const keyFile = config.environment === 'production' ? readKeyFile(config.keysDir) : await ensureKeyFile(config.keysDir);
    if (!keyFile) throw new StartupError(`no signing keys at ${keyFilePath(config.keysDir)}; run \`gatehouse keys generate\` first`);
    const cookieKeys = config.cookieKeys ?? ensureDevCookieKeys(config.keysDir);
    const nonceKey = dpopNonceKey(config.dpopNonceSecret, cookieKeys);

    // The provider serving now; replaced when the key file changes.
    let current: Provider | undefined;
    const serving = () => current!;
    const { repos } = storage;
    // The key objects of the provider serving now (built with it): what the shortcuts, SETs and logout tokens sign with.
    let currentSigner: Rs256SigningKey | undefined;
    const logouts = createBackchannelLogout({
      issuer: config.issuer,
      signingKey: () => currentSigner!,
      async findClient(clientId) {
        const metadata = (await repos.clients.findRecord(clientId))?.metadata;
        if (!metadata) return undefined;
        const uri = metadata.backchannel_logout_uri;
        return { uri: typeof uri === 'string' ? uri : undefined, sessionRequired: metadata.backchannel_logout_session_required === true };
      },
      queue: repos.backchannelLogouts,
      attempts: config.backchannelLogoutAttempts,
      policy: outboundPolicy(config),
      log,
    });
    stops.push(() => logouts.close());
    let forgetClient: (clientId: string) => void = () => {};
    mailer = config.smtpUrl
      ? createNodemailerMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom ?? `Gatehouse <no-reply@${new URL(config.issuer).hostname}>` })
      : undefined;
    const services = createServices({
      config, storage, log, logouts, mailer,
      validateClientMetadata: (metadata) => serving().Client.validate(metadata),
      forgetClient: (clientId) => forgetClient(clientId),
      factorSecretFallback: cookieKeys[0],
    });
    const { audit, tokenIssuance } = services;

    // The protocol layer: oidc-provider's adapter and policies over the same ports.
    const refreshReuse = createRefreshReusePolicy({
      store: storage.store, payloads: repos.payloads, clock: services.clock, graceSeconds: config.refreshTokenReuseGraceSeconds,
      retrySeconds: config.refreshTokenRetrySeconds,
      onError: (error) => log.error('could not give back a refresh token after a failed refresh', { error }),
    });
    // Bounded: keyed by whatever client id a request names.
    const clientCache = { max: config.cacheMaxEntries, ttlSeconds: config.clientCacheSeconds };
    const registeredClients = config.dynamicRegistration === 'off' ? undefined : createRegisteredClientStore({ clients: services.clients, resources: config.dynamicClientResources });
    const adapter = createAdapterClass({ payloads: repos.payloads, clients: repos.clients, store: storage.store, grants: services.grants, refreshReuse, clientCache, registeredClients });
    // https only, whatever webhooks may use: oidc-provider fetches metadata documents and jwks_uri.
    const outboundFetch = createOutboundFetch({
      policy: { ...outboundPolicy(config), allowHttp: false }, timeoutMs: OUTBOUND_TIMEOUT_MS, maxBytes: OUTBOUND_MAX_BYTES,
      ...(config.outboundCaFile ? { ca: readFileSync(config.outboundCaFile, 'utf8') } : {}),
    });
    forgetClient = (clientId) => adapter.forgetClient(clientId);
    // What oidc-provider calls back into answers a storage outage with 503, as the adapter does.
    const accounts = withProtocolErrors(services.accounts);
    const labPolicy = createLabPolicy(withProtocolErrors(services.labAccess), { clientRolesCache: clientCache });
    const clientResources = createClientResources({
      resources: withProtocolErrors(repos.resources), dynamicClientResources: config.dynamicClientResources,
      cache: { max: config.cacheMaxEntries, ttlSeconds: config.resourceCacheSeconds },
    });

    await services.revocations.warm();
    stops.push(() => services.revocations.close());
    stops.push(scheduleSweep(services, log));
    const sharedSignals = createSharedSignals({
      issuer: config.issuer, ssf: repos.ssf, change: services.change, clock: services.clock,
      sign: createSetSigner(() => currentSigner!),
      checkUrl: async (url) => { await checkOutboundUrl(url, outboundPolicy(config)); },
      retryDelaysSeconds: config.webhookRetryDelaysSeconds,
    });
    stops.push(...startEventRelays(config, storage, services, sharedSignals, metrics, log));
    stops.push(tokenIssuance.start());

    await services.ensureApiResource();
    await services.ensureAccountClient(cookieKeys);
    await services.ensureConsoleClient();
    // Mail still being sent when the server stops is waited for (its links are already stored).
    stops.push(async () => { await services.email?.drain(); await mailer?.close(); });

    const branding = createBranding(config.branding as BrandingSettings);
    const views = createViews({ branding });
    const issuerOrigin = new URL(config.issuer).origin;
    // Before the provider: it shows the login page in the answer to an authorization request.
    const interactions = createInteractionRoutes({
      provider: serving,
      passwordResetPath: services.email ? PASSWORD_RESET_PATH : undefined,
      login: async (attempt) => {
        const outcome = await services.login(attempt);
        metrics.login(outcome.ok ? 'success' : outcome.reason === 'locked_out' ? 'lockout' : 'failure');
        return outcome;
      },
      csrf: createCsrf(cookieKeys[0]!),
      views,
      log,
      issuerOrigin,
      displayName: services.displayName,
      labs: services.labAccess,
      recordGrantOrigin: services.grantOrigins.record,
      factors: {
        secondFactors: services.secondFactors, mfaPolicy: services.mfaPolicy, pendingSignIns: services.pendingSignIns,
        findUser: services.accounts.findActiveUser,
      },
    });
    let currentTokens: AccessTokenReader | undefined;
    let currentTokenAnswers: StructuredTokenAnswers | undefined;
    const build = (keys: KeyFile): Provider => {
      const ordered = keysInSigningOrder(keys);
      const signingKeys = ordered.map((jwk) => new Rs256SigningKey(jwk));
      currentSigner = signingKeys[0]!;
      const tokens = createAccessTokenReader({ issuer: config.issuer, keys: ordered, revocations: services.revocations, accounts: services.accounts, labs: services.labAccess, maxVerified: config.cacheMaxEntries });
      const provider = createProvider({
        config, adapter, keys: signingKeys, cookieKeys, dpopNonceKey: nonceKey, accounts, clientResources, views, labPolicy, logouts, outboundFetch,
        tokenExchange: { tokens, exchange: services.tokenExchange },
        mfa: { policy: { ...services.mfaPolicy, ...withProtocolErrors({ reason: services.mfaPolicy.reason }) }, findActiveUser: accounts.findActiveUser },
        firstParty: { recordGrantOrigin: services.grantOrigins.record, onError: (error) => log.warn('could not record where a grant was created', { error }) },
        // Polls are a protocol endpoint: a store outage there is OAuth's temporarily_unavailable.
        devices: { codeEntry: services.devices.codeEntry, polling: withProtocolErrors(services.devices.polling) },
      });
      makeReplayDetectionAtomic(provider, storage.store);
      // First: its bookkeeping must wrap everything a refresh does.
      provider.use(refreshReuse.middleware);
      provider.use(answerStorageOutagesWith503(provider));
      provider.use(labPolicy.recordLabSwitch((error) => log.error('could not record a lab switch', { error })));
      provider.use(interactions.loginPageAtAuthorization);
      currentTokens = tokens;
      currentTokenAnswers = installStructuredTokenSupport(provider, { tokens: currentTokens, labs: withProtocolErrors(services.labAccess), clientRoles: labPolicy.rolesOfClient, revocations: services.revocations, grants: services.grants, audit });
      provider.on('server_error', (_ctx, error) => log.error('oidc-provider server error', { error }));
      // JWT access tokens are 'issued' (not stored), opaque ones 'saved'; client credentials are their own kind.
      const countToken = (token: { clientId?: string }) => { if (token.clientId) tokenIssuance.count(token.clientId); };
      provider.on('access_token.issued', countToken).on('access_token.saved', countToken);
      provider.on('client_credentials.issued', countToken).on('client_credentials.saved', countToken);
      provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
        const route = ctx.oidc?.route;
        const grantType = route === 'token' ? String(ctx.oidc.params?.grant_type) : undefined;
        log.info('grant revoked', { grant_id: grantId, route });
        if (grantType) metrics.reuseDetected(grantType);
        audit.recordLater({
          // At the token endpoint a grant dies only because a used code or refresh token came back.
          actor: ctx.oidc?.client ? `client:${ctx.oidc.client.clientId}` : 'anonymous',
          action: grantType ? `${grantType}.reuse_detected` : 'grant.revoked',
          target: `grant:${grantId}`,
          details: { route },
          requestId: ctx.state?.requestId as string | undefined,
          ip: ctx.ip,
        });
      });
      provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
        const accountId = ctx.oidc?.session?.accountId;
        audit.recordLater({
          actor: ctx.oidc?.client ? `client:${ctx.oidc.client.clientId}` : 'anonymous',
          action: 'logout',
          ...(accountId ? { target: `user:${accountId}` } : {}),
          requestId: ctx.state?.requestId as string | undefined,
          ip: ctx.ip,
        });
      });
      return provider;
    };
    current = build(keyFile);
    let published = new Set(keyFile.keys.map((k) => k.kid));
    stops.push(watchKeyFile(config.keysDir, config.keysReloadSeconds, log, (file) => {
      const known = published;
      published = new Set(file.keys.map((k) => k.kid));
      current = build(file);
      for (const key of file.keys.filter((k) => !known.has(k.kid))) {
        announceSigningKey({ store: storage.store, audit: services.audit }, key.kid, file.meta[key.kid]?.activates_at, { actor: 'system:keys' }).catch((error: unknown) => log.error('could not record a rotated signing key', { kid: key.kid, error }));
      }
    }));
    if (config.importFile) {
      // After the provider is built: imported clients are checked by its metadata validation, as the API's are.
      const doc = parseImportDocument(readFileSync(config.importFile, 'utf8'), config.importFile);
      const summary = await services.applyImport(doc, { actor: `import:${config.importFile}` });
      log.info('import applied', { file: config.importFile, ...summary });
    }

    // This node's own address, known once it listens: the account page exchanges its codes there.
    let localUrl = '';
    const operations = createManagementOperations(services, { eventsPollMs: config.eventsPollMs, sharedSignals });
    const apiRouter = createApiRouter({
      operations,
      auth: createApiAuthenticator({ tokens: () => currentTokens!, audience: config.apiResource }),
      openApi: () => buildOpenApiDocument(operations, { issuer: config.issuer, audience: config.apiResource, version: packageVersion() }),
      asyncApi: () => buildAsyncApiDocument({ issuer: config.issuer, version: packageVersion(), amqpExchange: config.amqpExchange }),
      renderDocs: (ctx, document) => views.render(ctx, 'api-docs', { document }),
    });
    const limits = rateLimitSettings(config);
    const app = createHttpApp({
      log,
      ...(limits ? { rateLimit: rateLimitMiddleware(storage.rateLimiters, limits, (ctx) => ctx.ip, metrics.rateLimited) } : {}),
      observe: metricsMiddleware(metrics),
      beforeProvider: [
        jwtIntrospectionShortcut({ current: () => ({ provider: serving(), answers: currentTokenAnswers! }) }),
        clientCredentialsShortcut({
          issuer: config.issuer, current: () => ({ provider: serving(), signer: currentSigner! }), resources: clientResources,
          clientRoles: labPolicy.rolesOfClient, defaultTtlSeconds: config.accessTokenTtlSeconds, onIssued: (clientId) => tokenIssuance.count(clientId),
        }),
      ],
      trace: trace.middleware(),
      cookieKeys,
      trustProxy: config.trustProxy,
      trustProxyHops: config.trustProxyHops,
      errorPage: createErrorPage(views),
      provider: serving,
      routers: [
        createHealthRoutes({
          checks: {
            database: { check: () => storage.pingDatabase(), essential: true, report: (ok, at, reason) => availability.checked('postgres', ok, at, causeOf(reason)) },
            store: { check: () => storage.store.ping(), essential: false, report: (ok, at, reason) => availability.checked('store', ok, at, causeOf(reason)) },
          },
          impaired: { store: STORE_FEATURES },
        }),
        createStaticRoutes({ [BRANDS_CSS_PATH]: branding.stylesheet }),
        createConsoleRoutes({ issuer: config.issuer, apiResource: config.apiResource }),
        createSsfRoutes(config.issuer),
        createMetricsRoutes(metrics, config.metricsToken),
        // Before the API router, whose catch-all answers 404 for anything else under /api/v1.
        createRegistrationRoutes(services),
        apiRouter,
        ...(services.email ? [createEmailRoutes({ email: services.email, views, csrf: createAnonymousCsrf(cookieKeys[0]!), issuerOrigin })] : []),
        createAccountRoutes({
          account: services.account,
          sessions: services.accountSessions,
          signIn: createAccountSignIn({ issuer: config.issuer, clientSecret: accountClientSecret(cookieKeys[0]!), localUrl: () => localUrl, provider: serving }),
          views,
          issuerOrigin,
          mailEnabled: services.email !== undefined,
          secondFactors: accountSecondFactors({ secondFactors: services.secondFactors, findUser: services.accounts.findActiveUser, views }),
        }),
        interactions.router,
      ],
    });

    const listening: Server = await new Promise((resolve, reject) => {
      const s = app.listen(config.port, config.host, () => resolve(s));
      s.once('error', reject);
    });
    server = listening;
    // Keep-alive longer than typical proxies' idle timeout, so a proxy never reuses a closed socket.
    listening.keepAliveTimeout = 65_000;
    const { port, address } = listening.address() as AddressInfo;
    const loopback = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
    localUrl = `http://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}`;
    log.info('gatehouse listening', { port, issuer: config.issuer, signing_kid: keysInSigningOrder(keyFile)[0]!.kid });
    if (config.metricsPort !== undefined) {
      const metricsServer = await startMetricsServer(metrics, config.metricsPort, config.metricsHost);
      const metricsPort = (metricsServer.address() as AddressInfo).port;
      stops.push(() => new Promise<void>((resolve) => { metricsServer.close(() => resolve()); metricsServer.closeAllConnections(); }));
      log.info('metrics listening', { port: metricsPort, host: config.metricsHost });
      metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    }

    return {
      url: `http://127.0.0.1:${port}`,
      metricsUrl,
      metricsRegistry: metrics.registry,
      storage,
      services,
      provider: serving,
      async close() {
        // Requests in flight finish first (they may count tokens, write audit rows).
        await drain(listening, SHUTDOWN_GRACE_MS);
        // Awaited: the token counter's last flush must reach the database before it closes.
        for (const stop of stops) await stop();
        await storage.close();
      },
    };
  } catch (error) {
    for (const stop of stops) stop();
    await mailer?.close();
    server?.closeAllConnections();
    server?.close();
    await storage?.close();
    throw error;
  }
}
