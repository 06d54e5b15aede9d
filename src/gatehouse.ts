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
import { buildOpenApiDocument } from './http/api/openapi.js';
import { createManagementOperations } from './http/api/operations/index.js';
import { createHttpApp } from './http/app.js';
import { createHealthRoutes } from './http/routes/health-routes.js';
import { createRegistrationRoutes } from './http/routes/registration-routes.js';
import { rateLimitMiddleware } from './http/rate-limits/koa-rate-limit.js';
import { rateLimitSettings } from './config/rate-limit-settings.js';
import { createStaticRoutes } from './http/routes/static-routes.js';
import { createCsrf } from './interactions/csrf.js';
import { createErrorPage } from './interactions/error-page.js';
import { createInteractionRoutes } from './interactions/interaction-routes.js';
import { createViews } from './interactions/views.js';
import type { Logger } from './logger.js';
import { createAccessTokenReader, type AccessTokenReader } from './oidc/access-token-reader.js';
import { createAdapterClass } from './oidc/adapter.js';
import { watchKeyFile } from './oidc/key-watcher.js';
import { ensureDevCookieKeys, ensureKeyFile, keyFilePath, keysInSigningOrder, readKeyFile, type KeyFile } from './oidc/keys.js';
import { createLabPolicy } from './oidc/lab-policy.js';
import { withProtocolErrors } from './oidc/errors.js';
import { dpopNonceKey, makeReplayDetectionAtomic } from './oidc/dpop.js';
import { createProvider } from './oidc/provider.js';
import { createRefreshReusePolicy } from './oidc/refresh-reuse-policy.js';
import { installStructuredTokenSupport } from './oidc/structured-tokens.js';
import { createMetrics } from './metrics/create-metrics.js';
import { metricsMiddleware } from './metrics/koa-metrics.js';
import { createMetricsRoutes, startMetricsServer } from './metrics/metrics-routes.js';
import { createOutboxRelay, webhookFanOut } from './domain/events/outbox-relay.js';
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

/**
 * Records a newly published signing key (`signing_key.rotated`) once for the whole cluster:
 * every node notices the rotated key file, the first to claim the kid in the shared store records it.
 */
async function announceSigningKey(storage: Storage, services: Services, kid: string, activatesAt: string | undefined): Promise<void> {
  const claim = `signing-key-announced:${kid}`;
  if (!(await storage.store.claim(claim, 90 * 86_400))) return;
  try {
    await services.audit.record({ actor: 'system:keys', action: 'signing_key.rotated', target: `key:${kid}`, details: { kid, activatesAt: activatesAt ?? null } });
  } catch (error) {
    // Another node's next reload, or this one's, may try again.
    await storage.store.delete([claim]).catch(() => undefined);
    throw error;
  }
}

const outboundPolicy = (config: Config): OutboundPolicy => ({ allowPrivateNetworks: config.outboundAllowPrivateNetworks, allowHttp: config.outboundAllowHttp });

/**
 * The outbox relays of this node: RabbitMQ (when configured), the webhook fan-out and the
 * webhook deliveries. Every node runs them; leases keep any two from doing the same work.
 */
function startEventRelays(config: Config, storage: Storage, services: Services, sharedSignals: SharedSignals, log: Logger): Array<() => Promise<void>> {
  const loop = (name: string, task: () => Promise<number>) => startBackgroundLoop(name, task, { idleMs: config.eventsPollMs, log });
  const lease = storage.leaseRelayCursor;
  const stops: Array<() => Promise<void>> = [];
  if (config.amqpUrl) {
    const sink = createAmqpSink({ url: config.amqpUrl, exchange: config.amqpExchange });
    const relay = createOutboxRelay({ name: `amqp:${config.amqpExchange}`, lease, sink });
    stops.push(loop('event relay to RabbitMQ', () => relay.relayOnce()), () => sink.close());
  }
  const fanOut = createOutboxRelay({ name: 'webhooks', lease, sink: webhookFanOut });
  const dispatcher = createWebhookDispatcher({
    webhooks: storage.repos.webhooks,
    send: createWebhookSender({ policy: outboundPolicy(config), timeoutMs: config.webhookTimeoutSeconds * 1000 }),
    audit: services.audit,
    clock: services.clock,
    retryDelaysSeconds: config.webhookRetryDelaysSeconds,
    leaseSeconds: config.webhookTimeoutSeconds * 3 + 5,
  });
  stops.push(loop('webhook fan-out', () => fanOut.relayOnce()), loop('webhook deliveries', () => dispatcher.deliverDue()));
  const signals = createOutboxRelay({ name: 'ssf', lease, sink: sharedSignals.sink });
  const push = createSetPusher({ policy: outboundPolicy(config), timeoutMs: config.webhookTimeoutSeconds * 1000 });
  stops.push(loop('security event tokens', () => signals.relayOnce()), loop('security event push', () => sharedSignals.pushDue(push, config.webhookTimeoutSeconds * 3 + 5)));
  return stops;
}

export class StartupError extends AppError {
  constructor(message: string) {
    super('startup_failed', 500, message, { expose: true });
  }
}

/** The composition root: config → storage → services (use cases) → provider → http → listen. */
export async function startGatehouse(config: Config, log: Logger): Promise<Gatehouse> {
  let storage: Storage | undefined;
  // Counted from the first query on: storage reports each call's time to the metrics.
  const metrics = createMetrics({ poolStats: () => storage?.poolStats() });
  storage = await createStorage(config, log, (observation) => metrics.storage(observation));
  const stops: Array<() => unknown> = [];
  let metricsUrl: string | undefined;
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
    let forgetClient: (clientId: string) => void = () => {};
    const services = createServices({
      config, storage, log,
      validateClientMetadata: (metadata) => serving().Client.validate(metadata),
      forgetClient: (clientId) => forgetClient(clientId),
    });
    const { audit, tokenIssuance } = services;

    // The protocol layer: oidc-provider's adapter and policies over the same ports.
    const refreshReuse = createRefreshReusePolicy({
      store: storage.store, payloads: repos.payloads, clock: services.clock, graceSeconds: config.refreshTokenReuseGraceSeconds,
      onError: (error) => log.error('could not give back a refresh token after a failed refresh', { error }),
    });
    // Bounded: keyed by whatever client id a request names.
    const clientCache = { max: config.cacheMaxEntries, ttlSeconds: config.clientCacheSeconds };
    const adapter = createAdapterClass({ payloads: repos.payloads, clients: repos.clients, store: storage.store, grants: services.grants, refreshReuse, clientCache });
    forgetClient = (clientId) => adapter.forgetClient(clientId);
    // What oidc-provider calls back into answers a storage outage with 503, as the adapter does.
    const accounts = withProtocolErrors(services.accounts);
    const labPolicy = createLabPolicy(withProtocolErrors(services.labAccess), { clientRolesCache: clientCache });
    const resources = withProtocolErrors(repos.resources);

    await services.revocations.warm();
    stops.push(scheduleSweep(services, log));
    let signingKeys = keyFile;
    const sharedSignals = createSharedSignals({
      issuer: config.issuer, ssf: repos.ssf, change: services.change, clock: services.clock,
      sign: createSetSigner(() => keysInSigningOrder(signingKeys)[0]!),
      checkUrl: async (url) => { await checkOutboundUrl(url, outboundPolicy(config)); },
      retryDelaysSeconds: config.webhookRetryDelaysSeconds,
    });
    stops.push(...startEventRelays(config, storage, services, sharedSignals, log));
    stops.push(tokenIssuance.start());

    await services.ensureApiResource();

    const views = createViews();
    let currentTokens: AccessTokenReader | undefined;
    const build = (keys: KeyFile): Provider => {
      const ordered = keysInSigningOrder(keys);
      const tokens = createAccessTokenReader({ issuer: config.issuer, keys: ordered, revocations: services.revocations, accounts: services.accounts, labs: services.labAccess, maxVerified: config.cacheMaxEntries });
      const provider = createProvider({
        config, adapter, keys: ordered, cookieKeys, dpopNonceKey: nonceKey, accounts, resources, views, labPolicy,
        tokenExchange: { tokens, exchange: services.tokenExchange },
        firstParty: { recordGrantOrigin: services.grantOrigins.record, onError: (error) => log.warn('could not record where a grant was created', { error }) },
        // Polls are a protocol endpoint: a store outage there is OAuth's temporarily_unavailable.
        devices: { codeEntry: services.devices.codeEntry, polling: withProtocolErrors(services.devices.polling) },
      });
      makeReplayDetectionAtomic(provider, storage.store);
      // First: its bookkeeping must wrap everything a refresh does.
      provider.use(refreshReuse.middleware);
      provider.use(labPolicy.recordLabSwitch((error) => log.error('could not record a lab switch', { error })));
      currentTokens = tokens;
      installStructuredTokenSupport(provider, { tokens: currentTokens, labs: withProtocolErrors(services.labAccess), revocations: services.revocations, grants: services.grants, audit });
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
    stops.push(watchKeyFile(config.keysDir, config.keysReloadSeconds, log, (file) => {
      const known = new Set(signingKeys.keys.map((k) => k.kid));
      current = build(file);
      signingKeys = file;
      for (const key of file.keys.filter((k) => !known.has(k.kid))) {
        announceSigningKey(storage, services, key.kid, file.meta[key.kid]?.activates_at).catch((error: unknown) => log.error('could not record a rotated signing key', { kid: key.kid, error }));
      }
    }));
    if (config.importFile) {
      // After the provider is built: imported clients are checked by its metadata validation, as the API's are.
      const doc = parseImportDocument(readFileSync(config.importFile, 'utf8'), config.importFile);
      const summary = await services.applyImport(doc, { actor: `import:${config.importFile}` });
      log.info('import applied', { file: config.importFile, ...summary });
    }

    const operations = createManagementOperations(services, { eventsPollMs: config.eventsPollMs, sharedSignals });
    const apiRouter = createApiRouter({
      operations,
      auth: createApiAuthenticator({ tokens: () => currentTokens!, audience: config.apiResource }),
      openApi: buildOpenApiDocument(operations, { issuer: config.issuer, audience: config.apiResource, version: packageVersion() }),
      asyncApi: buildAsyncApiDocument({ issuer: config.issuer, version: packageVersion(), amqpExchange: config.amqpExchange }),
      renderDocs: (ctx, document) => views.render(ctx, 'api-docs', { document }),
    });
    const limits = rateLimitSettings(config);
    const app = createHttpApp({
      log,
      ...(limits ? { rateLimit: rateLimitMiddleware(storage.rateLimiters, limits, (ctx) => ctx.ip, metrics.rateLimited) } : {}),
      observe: metricsMiddleware(metrics),
      cookieKeys,
      trustProxy: config.trustProxy,
      trustProxyHops: config.trustProxyHops,
      errorPage: createErrorPage(views),
      provider: serving,
      routers: [
        createHealthRoutes({
          database: () => storage.pingDatabase(),
          store: () => storage.store.ping(),
        }),
        createStaticRoutes(),
        createSsfRoutes(config.issuer),
        createMetricsRoutes(metrics, config.metricsToken),
        // Before the API router, whose catch-all answers 404 for anything else under /api/v1.
        createRegistrationRoutes(services),
        apiRouter,
        createInteractionRoutes({
          provider: serving,
          login: async (attempt) => {
            const outcome = await services.login(attempt);
            metrics.login(outcome.ok ? 'success' : outcome.reason === 'locked_out' ? 'lockout' : 'failure');
            return outcome;
          },
          csrf: createCsrf(cookieKeys[0]!),
          views,
          log,
          issuerOrigin: new URL(config.issuer).origin,
          displayName: services.displayName,
          labs: services.labAccess,
          recordGrantOrigin: services.grantOrigins.record,
        }),
      ],
    });

    const listening: Server = await new Promise((resolve, reject) => {
      const s = app.listen(config.port, config.host, () => resolve(s));
      s.once('error', reject);
    });
    server = listening;
    // Keep-alive longer than typical proxies' idle timeout, so a proxy never reuses a closed socket.
    listening.keepAliveTimeout = 65_000;
    const port = (listening.address() as AddressInfo).port;
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
    server?.closeAllConnections();
    server?.close();
    await storage?.close();
    throw error;
  }
}
