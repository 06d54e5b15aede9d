import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

import type { Config } from './config/load-config.js';
import { createAuditLog } from './domain/audit/audit-log.js';
import { parseImportDocument } from './config/import-document.js';
import { createApplyImport } from './domain/import/apply-import.js';
import { createAuthenticateUser } from './domain/users/authenticate-user.js';
import { createLoginThrottle } from './domain/users/login-throttle.js';
import { createPasswordHasher } from './domain/users/password-hasher.js';
import { createHttpApp } from './http/app.js';
import { createHealthRoutes } from './http/routes/health-routes.js';
import { createStaticRoutes } from './http/routes/static-routes.js';
import { createCsrf } from './interactions/csrf.js';
import { createInteractionRoutes } from './interactions/interaction-routes.js';
import { createViews } from './interactions/views.js';
import type { Logger } from './logger.js';
import { createAccountClaims } from './oidc/account-claims.js';
import { createLabAccess } from './domain/tenancy/lab-access.js';
import { createLabPolicy } from './oidc/lab-policy.js';
import { clearRefreshInFlight, createAdapterClass } from './oidc/adapter.js';
import { createGrantRevoker } from './oidc/grant-revoker.js';
import { watchKeyFile } from './oidc/key-watcher.js';
import { ensureDevCookieKeys, ensureKeyFile, keyFilePath, keysInSigningOrder, readKeyFile, type KeyFile } from './oidc/keys.js';
import { createProvider } from './oidc/provider.js';
import { createRevocationList } from './oidc/revocation-list.js';
import { installStructuredTokenSupport } from './oidc/structured-tokens.js';
import { createImportTransaction } from './import-transaction.js';
import { createStorage, type Storage } from './storage/create-storage.js';
import type { ClientMetadata } from './storage/postgres/client-repository.js';
import { migrateLatest, pendingMigrations } from './storage/postgres/database.js';
import { createRepositories } from './storage/postgres/repositories.js';
import { AppError } from './domain/errors.js';
import { createAuditedChange } from './domain/management/audited-change.js';
import { createTokenIssuanceCounter } from './domain/management/token-issuance.js';
import { ensureManagementApiResource } from './domain/management/management-api-resource.js';
import { createApiAuthenticator } from './http/api/api-auth.js';
import { createApiRouter } from './http/api/api-router.js';
import { buildOpenApiDocument } from './http/api/openapi.js';
import { createManagementOperations } from './http/api/operations/index.js';
import { createRegistrationRoutes } from './http/routes/registration-routes.js';
import { createAccessTerminator } from './oidc/access-terminator.js';
import { createAccessTokenReader, type AccessTokenReader } from './oidc/access-token-reader.js';
import { packageVersion } from './config/paths.js';

export interface Gatehouse {
  readonly url: string;
  readonly storage: Storage;
  /** The provider serving now (replaced on key rotation). */
  provider(): Provider;
  close(): Promise<void>;
}

/**
 * Deletes expired tokens, revocation entries, orphaned lab choices and grant origins, and token
 * counts older than the statistics show, every 10 minutes (any node may; it is idempotent).
 */
function scheduleSweep(repos: ReturnType<typeof createRepositories>, log: Logger): () => void {
  const timer = setInterval(() => {
    void Promise.all([repos.payloads.deleteExpired(), repos.revocations.deleteExpired()])
      .then(async ([payloads, revocations]) => log.debug('expired rows swept', {
        payloads, revocations, grant_labs: await repos.tenancy.deleteOrphanGrantLabs(), grant_origins: await repos.grantOrigins.deleteOrphans(),
        token_counts: await repos.tokenCounts.deleteBefore(new Date(Date.now() - 31 * 86_400_000)),
      }))
      .catch((error: unknown) => log.warn('sweep failed', { error }));
  }, 10 * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}

export class StartupError extends AppError {
  constructor(message: string) {
    super('startup_failed', 500, message, { expose: true });
  }
}

/** The composition root: config → storage → domain → provider → http → listen. */
export async function startGatehouse(config: Config, log: Logger): Promise<Gatehouse> {
  const storage = await createStorage(config, log);
  const stops: Array<() => unknown> = [];
  try {
    log.info('storage ready', {
      database: storage.databaseMode === 'postgres' ? 'postgres' : `embedded PGlite in ${config.dataDir}`,
      store: storage.store.mode === 'redis' ? 'redis' : 'in-process (single node only)',
    });

    if (config.migrateOnStart) {
      const applied = await migrateLatest(storage.db);
      if (applied.length) log.info('migrations applied', { applied });
    } else {
      const pending = await pendingMigrations(storage.db);
      if (pending.length) throw new StartupError(`database has ${pending.length} pending migration(s); run \`gatehouse migrate\` first`);
    }

    const keyFile = config.environment === 'production' ? readKeyFile(config.keysDir) : await ensureKeyFile(config.keysDir);
    if (!keyFile) throw new StartupError(`no signing keys at ${keyFilePath(config.keysDir)}; run \`gatehouse keys generate\` first`);
    const cookieKeys = config.cookieKeys ?? ensureDevCookieKeys(config.keysDir);

    const repos = createRepositories(storage.db);
    const hasher = createPasswordHasher();
    const labs = createLabAccess({ tenancy: repos.tenancy });
    const labPolicy = createLabPolicy(labs);
    const accounts = createAccountClaims({ users: repos.users, labs });
    const revocations = createRevocationList({ repository: repos.revocations, store: storage.store });
    const grants = createGrantRevoker({ payloads: repos.payloads, revocations });
    const adapter = createAdapterClass({
      payloads: repos.payloads, clients: repos.clients, store: storage.store, grants,
      refreshReuseGraceSeconds: config.refreshTokenReuseGraceSeconds,
    });
    await revocations.warm();
    stops.push(scheduleSweep(repos, log));
    const tokenIssuance = createTokenIssuanceCounter({ repository: repos.tokenCounts, onError: (error) => log.warn('could not write token counts; kept for the next flush', { error }) });
    stops.push(tokenIssuance.start());

    await ensureManagementApiResource(repos.resources, config.apiResource);

    const audit = createAuditLog({ repository: repos.audit, onError: (error, event) => log.error('audit append failed', { error, action: event.action }) });
    const views = createViews();
    let currentTokens: AccessTokenReader | undefined;
    const build = (keys: KeyFile): Provider => {
      const ordered = keysInSigningOrder(keys);
      const provider = createProvider({ config, adapter, keys: ordered, cookieKeys, accounts, resources: repos.resources, views, labPolicy });
      provider.use(labPolicy.recordLabSwitch((error) => log.error('could not record a lab switch', { error })));
      provider.use(clearRefreshInFlight({ store: storage.store, payloads: repos.payloads, onError: (error) => log.error('could not give back a refresh token after a failed refresh', { error }) }));
      currentTokens = createAccessTokenReader({ issuer: config.issuer, keys: ordered, revocations, accounts, labs });
      installStructuredTokenSupport(provider, { tokens: currentTokens, revocations, grants, audit });
      provider.on('server_error', (_ctx, error) => log.error('oidc-provider server error', { error }));
      // JWT access tokens are 'issued' (not stored), opaque ones 'saved'; client credentials are their own kind.
      const countToken = (token: { clientId?: string }) => { if (token.clientId) tokenIssuance.count(token.clientId); };
      provider.on('access_token.issued', countToken).on('access_token.saved', countToken);
      provider.on('client_credentials.issued', countToken).on('client_credentials.saved', countToken);
      provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
        const route = ctx.oidc?.route;
        const grantType = route === 'token' ? String(ctx.oidc.params?.grant_type) : undefined;
        log.info('grant revoked', { grant_id: grantId, route });
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
        audit.recordLater({
          actor: ctx.oidc?.client ? `client:${ctx.oidc.client.clientId}` : 'anonymous',
          action: 'logout',
          requestId: ctx.state?.requestId as string | undefined,
          ip: ctx.ip,
        });
      });
      return provider;
    };
    let current = build(keyFile);
    stops.push(watchKeyFile(config.keysDir, config.keysReloadSeconds, log, (file) => {
      current = build(file);
    }));

    const validateClientMetadata = (metadata: ClientMetadata) => current.Client.validate(metadata);
    const forgetClient = (clientId: string) => adapter.forgetClient(clientId);
    if (config.importFile) {
      // After the provider is built: imported clients are checked by its metadata validation, as the API's are.
      const doc = parseImportDocument(readFileSync(config.importFile, 'utf8'), config.importFile);
      const inOneTransaction = createImportTransaction({ db: storage.db, store: storage.store, config, hasher, validateClientMetadata, forgetClient });
      const summary = await createApplyImport({ issuer: config.issuer, inOneTransaction })(doc, { actor: `import:${config.importFile}` });
      log.info('import applied', { file: config.importFile, ...summary });
    }

    const issuerOrigin = new URL(config.issuer).origin;
    const change = createAuditedChange(storage.db);
    const access = createAccessTerminator({ payloads: repos.payloads, grants, store: storage.store });
    const operations = createManagementOperations({
      config, repos, change, hasher, access,
      grants, store: storage.store, tokenIssuance,
      validateClientMetadata, forgetClient,
    });
    const apiRouter = createApiRouter({
      operations,
      auth: createApiAuthenticator({ tokens: () => currentTokens!, audience: config.apiResource, accounts, labs }),
      openApi: buildOpenApiDocument(operations, { issuer: config.issuer, audience: config.apiResource, version: packageVersion() }),
      renderDocs: (ctx, document) => views.render(ctx, 'api-docs', { document }),
    });
    const app = createHttpApp({
      log,
      cookieKeys,
      trustProxy: config.trustProxy,
      provider: () => current,
      routers: [
        createHealthRoutes({
          database: async () => { await storage.db.raw('select 1'); },
          store: () => storage.store.ping(),
        }),
        createStaticRoutes(),
        // Before the API router, whose catch-all answers 404 for anything else under /api/v1.
        createRegistrationRoutes({
          config, repos, change, hasher, access, store: storage.store,
        }),
        apiRouter,
        createInteractionRoutes({
          provider: () => current,
          authenticate: createAuthenticateUser({ users: repos.users, hasher }),
          csrf: createCsrf(cookieKeys[0]!),
          views,
          log,
          issuerOrigin,
          displayName: async (accountId) => (await repos.users.findById(accountId))?.username ?? accountId,
          labs,
          audit,
          recordGrantOrigin: (origin) => repos.grantOrigins.record(origin),
          throttle: createLoginThrottle({ store: storage.store, maxFailures: config.loginMaxFailures, lockoutSeconds: config.loginLockoutSeconds }),
        }),
      ],
    });

    const server: Server = await new Promise((resolve, reject) => {
      const s = app.listen(config.port, config.host, () => resolve(s));
      s.once('error', reject);
    });
    // Keep-alive longer than typical proxies' idle timeout, so a proxy never reuses a closed socket.
    server.keepAliveTimeout = 65_000;
    const port = (server.address() as AddressInfo).port;
    log.info('gatehouse listening', { port, issuer: config.issuer, signing_kid: keysInSigningOrder(keyFile)[0]!.kid });

    return {
      url: `http://127.0.0.1:${port}`,
      storage,
      provider: () => current,
      async close() {
        // Awaited: the token counter's last flush must reach the database before it closes.
        for (const stop of stops) await stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await storage.close();
      },
    };
  } catch (error) {
    for (const stop of stops) stop();
    await storage.close();
    throw error;
  }
}
