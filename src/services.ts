import { randomBytes } from 'node:crypto';

import type { Config } from './config/load-config.js';
import { ensureAccountClient } from './domain/account/account-client.js';
import { ensureConsoleClient } from './domain/console/console-client.js';
import { createAccountSelfService } from './domain/account/account-self-service.js';
import { createAccountSessions } from './domain/account/account-sessions.js';
import { createEmailFlows } from './domain/email/email-flows.js';
import { emailLinks } from './domain/email/email-link-paths.js';
import { createMailRateLimit } from './domain/email/mail-rate-limit.js';
import type { Mailer } from './domain/ports/mailer.js';
import { createMfaPolicy } from './domain/factors/mfa-policy.js';
import { createPasskeyCeremony } from './domain/factors/passkey-ceremony.js';
import { createPendingSignIns } from './domain/factors/pending-sign-in.js';
import { createSecondFactors } from './domain/factors/second-factors.js';
import { createSecretBox } from './domain/factors/secret-box.js';
import { createFactorReset } from './domain/management/factor-reset.js';
import { createAuditLog } from './domain/audit/audit-log.js';
import { createAuditTrail } from './domain/audit/audit-trail.js';
import { createInitialAccessTokens, INITIAL_ACCESS_TOKEN_MAX_SECONDS } from './domain/clients/initial-access-tokens.js';
import { createApplyImport } from './domain/import/apply-import.js';
import { createAuditedChange } from './domain/management/audited-change.js';
import { createClientManagement, type MetadataValidator } from './domain/management/client-management.js';
import { createLabManagement } from './domain/management/lab-management.js';
import { ensureManagementApiResource } from './domain/management/management-api-resource.js';
import { createResourceManagement } from './domain/management/resource-management.js';
import { createRoleManagement } from './domain/management/role-management.js';
import { createSessionListing } from './domain/management/session-listing.js';
import { createStatistics } from './domain/management/statistics.js';
import { createTokenIssuanceCounter } from './domain/management/token-issuance.js';
import { createUserManagement } from './domain/management/user-management.js';
import { systemClock, type Clock } from './domain/ports/clock.js';
import type { LogoutNotifier } from './domain/ports/logout-notifier.js';
import type { Repositories, Transaction } from './domain/ports/repositories.js';
import { createLabAccess } from './domain/tenancy/lab-access.js';
import { createTokenExchange } from './domain/tokens/token-exchange.js';
import { createAuthenticateUser } from './domain/users/authenticate-user.js';
import { createLoginThrottle } from './domain/users/login-throttle.js';
import { createLogin } from './domain/users/login.js';
import { createPasswordHasher } from './domain/users/password-hasher.js';
import { createPasswordPolicy } from './domain/users/password-policy.js';
import { createSelfRegistration } from './domain/users/self-registration.js';
import { createDevicePolling } from './domain/devices/device-polling.js';
import { createUserCodeEntry } from './domain/devices/user-code-entry.js';
import { createWebhookManagement } from './domain/events/webhook-management.js';
import { readEventPage } from './domain/events/event-page.js';
import type { EventFilter } from './domain/ports/event-repository.js';
import { checkOutboundUrl } from './lib/outbound-request.js';
import type { Logger } from './logger.js';
import { createUserAttributeSchema } from './config/user-attributes.js';
import { createAccessTerminator } from './oidc/access-terminator.js';
import { createAccountClaims } from './oidc/account-claims.js';
import { createGrantRevoker } from './oidc/grant-revoker.js';
import { createRevocationList } from './oidc/revocation-list.js';
import { createSessionDirectory } from './oidc/session-directory.js';
import { createSigningKeys, keyRetainSeconds } from './oidc/signing-keys.js';
import type { Storage } from './storage/create-storage.js';

const REGISTRATIONS_PER_WINDOW = 10;
const REGISTRATION_WINDOW_SECONDS = 3600;
/** The account page's own session: short, and never longer than the Gatehouse session behind it. */
const ACCOUNT_SESSION_SECONDS = 1800;
/** Time a person has to sign in to the account page once sent to the login page. */
const ACCOUNT_SIGN_IN_SECONDS = 600;
/** The longest an initial access token may live: it is a standing licence to register clients. */

export interface ServicesDeps {
  config: Config;
  storage: Storage;
  log: Logger;
  clock?: Clock;
  /**
   * oidc-provider's own check of client metadata, as a second opinion after Gatehouse's rules
   * (the server passes it; the CLI, which builds no provider, does not).
   */
  validateClientMetadata?: MetadataValidator;
  /** Drops this process's cached copy of a client after a change (the server's adapter); a no-op elsewhere. */
  forgetClient?: (clientId: string) => void;
  /** Back-channel logout for sessions ended outside the browser (the server's sender; nobody elsewhere). */
  logouts?: LogoutNotifier;
  /** Outgoing mail (the server passes one when SMTP_URL is set): without it the mail flows do not exist. */
  mailer?: Mailer;
  /**
   * What TOTP secrets are sealed with when factorSecret is not configured (development and test:
   * the server passes its first cookie key). The CLI passes nothing: it seals and opens none.
   */
  factorSecretFallback?: string;
}

/**
 * The services container: every use case built once, over the storage adapters, and handed to
 * HTTP routes, interaction pages, the CLI and the import alike (Logto's Libraries). Nothing
 * outside the composition roots (src/gatehouse.ts, src/cli/) sees a repository, the store or the
 * raw configuration. Building it starts nothing: timers belong to the server (`tokenIssuance.start`).
 */
export function createServices(deps: ServicesDeps) {
  const { config, storage, log } = deps;
  const { repos, store } = storage;
  const clock = deps.clock ?? systemClock;

  const hasher = createPasswordHasher({ memoryCost: config.passwordHashMemoryKib, timeCost: config.passwordHashTimeCost, parallelism: 1 });
  const change = createAuditedChange({ transaction: storage.transaction, clock });
  const revocations = createRevocationList({
    repository: repos.revocations, store,
    // Each server process keeps its own copy once warmed (revocation-mirror.ts); a doubt only costs a round trip, so it is no warning.
    mirror: { marginMs: 250, maxEntries: 100_000, onError: (error) => log.debug('revocation copy of this process set aside', { error }) },
  });
  const grants = createGrantRevoker({ payloads: repos.payloads, revocations });
  const browserSessions = createSessionDirectory({ store, now: () => clock.now().getTime(), logouts: deps.logouts });
  const access = Object.assign(createAccessTerminator({ payloads: repos.payloads, grants, sessions: browserSessions }), { revokeGrant: grants.revokeGrant });
  const labAccess = createLabAccess({ tenancy: repos.tenancy });
  const audit = createAuditLog({ transaction: storage.transaction, repository: repos.audit, clock, onError: (error, event) => log.error('audit append failed', { error, action: event.action }) });
  const tokenIssuance = createTokenIssuanceCounter({
    repository: repos.tokenCounts, clock, onError: (error) => log.warn('could not write token counts; kept for the next flush', { error }),
  });
  const passwordPolicy = createPasswordPolicy({ minLength: config.passwordMinLength });
  const userAttributes = createUserAttributeSchema(config.userAttributes as Record<string, unknown>);
  const throttle = createLoginThrottle({ store, maxFailures: config.loginMaxFailures, lockoutSeconds: config.loginLockoutSeconds });
  const issuer = new URL(config.issuer);
  // A random key where nothing is sealed or opened (the CLI): no secret is ever made up for real use.
  const box = createSecretBox(config.factorSecret ?? deps.factorSecretFallback ?? randomBytes(32).toString('hex'));
  const secondFactors = createSecondFactors({
    factors: repos.factors, change, audit, store, throttle, clock, box,
    passkeys: createPasskeyCeremony({ store, rp: { id: issuer.hostname, name: 'Gatehouse', origin: issuer.origin } }),
    issuerName: issuer.host,
  });

  /**
   * The management use cases over a set of repositories and the transactions their changes run
   * in. Everything they touch goes through `over`: inside a transaction, a query on another
   * connection could wait for the one the transaction holds (the embedded database has one).
   */
  function management(over: Repositories, transaction: Transaction, endAccess = access) {
    const audited = createAuditedChange({ transaction, clock });
    return {
      users: createUserManagement({ repos: over, change: audited, hasher, access: endAccess, passwordPolicy, attributes: userAttributes }),
      labs: createLabManagement({ labs: over.labs, change: audited }),
      roles: createRoleManagement({ repos: over, change: audited }),
      resources: createResourceManagement({ resources: over.resources, clients: over.clients, change: audited, apiResource: config.apiResource, attributeNames: userAttributes.names }),
      clients: createClientManagement({
        clients: over.clients,
        resources: over.resources,
        change: audited,
        secretOverlapSeconds: config.clientSecretOverlapSeconds,
        validateMetadata: deps.validateClientMetadata,
        revokeGrant: (grantId) => endAccess.revokeGrant(grantId),
        forgetClient: deps.forgetClient,
        now: () => clock.now().getTime(),
      }),
    };
  }
  const managed = management(repos, storage.transaction);
  const { users } = managed;
  const sessions = createSessionListing({
    users: repos.users, labs: repos.labs, grantOrigins: repos.grantOrigins, sessions: browserSessions, grants, access, change,
  });
  /** Password reset and address verification by mail; undefined without SMTP (their pages then do not exist). */
  const email = deps.mailer
    ? createEmailFlows({
      users: repos.users, tokens: repos.emailTokens, change, audit, mailer: deps.mailer, clock, hasher, passwordPolicy, access,
      rateLimit: createMailRateLimit({ store, perAddress: config.mailMaxPerAddress, perIp: config.mailMaxPerIp, windowSeconds: config.mailRateWindowSeconds }),
      clearLockout: (userId) => throttle.reset(`user:${userId}`),
      links: emailLinks(config.issuer),
      ttlSeconds: { passwordReset: config.passwordResetTtlSeconds, emailVerification: config.emailVerificationTtlSeconds },
      onError: (error, what) => log.error('mail flow failed after the answer', { error, what }),
    })
    : undefined;

  return {
    clock,
    /** Runs a change with its audit row and events in one transaction (for use cases built in the composition root). */
    change,
    /** Revoked tokens and grants (durable list, fast copy). */
    revocations,
    grants,
    /** Ends everything a user holds: grants and browser sessions. */
    access,
    labAccess,
    accounts: createAccountClaims({ users: repos.users, labs: labAccess }),
    audit,
    auditTrail: createAuditTrail({ repository: repos.audit }),
    /** The signing key file (list, rotate with pre-publication) for the management API. */
    signingKeys: createSigningKeys({ keysDir: config.keysDir, retainSeconds: keyRetainSeconds(config.idTokenTtlSeconds), store, audit }),
    /** RFC 8693 token exchange policy: which targets, which scopes, the lab carried over, `act`; audited. */
    tokenExchange: createTokenExchange({ resources: repos.resources, labs: labAccess, audit, clock }),
    tokenIssuance,
    ...managed,
    /** Initial access tokens for dynamic client registration (RFC 7591): created by operators, shown once, stored hashed. */
    initialAccessTokens: createInitialAccessTokens({
      payloads: repos.payloads,
      change,
      enabled: config.dynamicRegistration === 'initial-access-token',
      maxLifetimeSeconds: INITIAL_ACCESS_TOKEN_MAX_SECONDS,
    }),
    /** Webhook subscriptions and their delivery log (the relays that deliver run in the server). */
    webhooks: createWebhookManagement({
      webhooks: repos.webhooks, labs: repos.labs, change, clock,
      checkUrl: async (url) => { await checkOutboundUrl(url, { allowPrivateNetworks: config.outboundAllowPrivateNetworks, allowHttp: config.outboundAllowHttp }); },
    }),
    /** The outbox read as a feed: events after a cursor, oldest first. */
    eventFeed: {
      page: (cursor: number, filter: EventFilter, limit: number) => readEventPage(repos.events, cursor, filter, limit),
      latestCursor: () => repos.events.latestSeq(),
    },
    sessions,
    email,
    /** What people do to their own account on /account. */
    account: createAccountSelfService({
      users: repos.users, change, audit, hasher, passwordPolicy, throttle, sessions, browserSessions, email,
      clientName: async (clientId) => ((await repos.clients.find(clientId))?.client_name as string | undefined) ?? clientId,
    }),
    /** The account page's sessions and sign-ins in progress (in the store). */
    accountSessions: createAccountSessions({ store, ttlSeconds: ACCOUNT_SESSION_SECONDS, signInTtlSeconds: ACCOUNT_SIGN_IN_SECONDS }),
    /** Registers the account page's own client (secret derived from the cookie keys). */
    ensureAccountClient: (cookieKeys: readonly string[]) => ensureAccountClient(repos.clients, { issuer: config.issuer, cookieKeys, now: clock.now() }),
    /** Registers the admin console's own public client (/admin, docs/CONSOLE.md). */
    ensureConsoleClient: () => ensureConsoleClient(repos.clients, { issuer: config.issuer, apiResource: config.apiResource }),
    statistics: createStatistics({ statistics: repos.statistics, tokenCounts: repos.tokenCounts, tokenIssuance, sessions: browserSessions, clock }),
    login: createLogin({ authenticate: createAuthenticateUser({ users: repos.users, hasher }), throttle, audit }),
    /** TOTP, passkeys and recovery codes: enrolment, checks, removal (sign-in pages and the account page). */
    secondFactors,
    /** When a sign-in needs a second factor (docs/MFA.md). */
    mfaPolicy: createMfaPolicy({
      settings: { forAdmins: config.mfaRequiredForAdmins, labs: config.mfaRequiredLabs, clients: config.mfaRequiredClients, resources: config.mfaRequiredResources },
      labs: labAccess,
      hasFactor: secondFactors.hasFactor,
    }),
    /** Sign-ins between their first and second factor. */
    pendingSignIns: createPendingSignIns({ store, box }),
    /** An admin removes a person's factors and recovery codes (API and CLI), audited. */
    resetFactors: createFactorReset({ change }),
    /** Undefined when self-registration is off (the route then does not exist). */
    registration: config.selfRegistration
      ? createSelfRegistration({
        users, store, perWindow: REGISTRATIONS_PER_WINDOW, windowSeconds: REGISTRATION_WINDOW_SECONDS,
        verifyEmail: email ? (userId, address, origin) => email.sendVerification(userId, address, origin, 'registration') : undefined,
        onVerifyError: (error) => log.warn('no verification mail for a new account', { error }),
      })
      : undefined,
    /** Device authorization grant (RFC 8628): the wrong-user-code budget per address, and the pace of token polls. */
    devices: {
      codeEntry: createUserCodeEntry({ store, maxFailures: config.deviceCodeMaxFailures, windowSeconds: config.deviceCodeFailureWindowSeconds }),
      polling: createDevicePolling({ store, intervalSeconds: config.devicePollIntervalSeconds }),
    },
    /** The name a person is greeted with on the consent page. */
    displayName: async (accountId: string): Promise<string> => (await repos.users.findById(accountId))?.username ?? accountId,
    /** Where grants were consented to (shown in a user's sessions/devices list). */
    grantOrigins: { record: repos.grantOrigins.record },
    /** Creates the management API's own resource, or brings its scopes up to date. */
    ensureApiResource: () => ensureManagementApiResource(repos.resources, config.apiResource),
    /**
     * Applies an import document through the management use cases (the API's rules, audited as
     * `origin`), all of it in one transaction: each change is a savepoint in it.
     */
    applyImport: createApplyImport({
      issuer: config.issuer,
      async inOneTransaction(work) {
        // Ending access touches the store, which no transaction covers: it runs once the
        // document has committed, so a refused document leaves every session and token as it was.
        const afterCommit: Array<() => Promise<void>> = [];
        const deferred = {
          endAllAccessOf: async (userId: string) => void afterCommit.push(() => access.endAllAccessOf(userId)),
          revokeGrant: async (grantId: string) => void afterCommit.push(() => access.revokeGrant(grantId)),
          endSessionsOf: async (userId: string) => void afterCommit.push(() => access.endSessionsOf(userId)),
        };
        const result = await storage.transaction((txRepos, nested) => work(management(txRepos, nested, deferred)));
        for (const step of afterCommit) await step();
        return result;
      },
      users,
    }),
    /** Expired tokens, revocations, orphaned lab choices and grant origins, old token counts: any node may, idempotent. */
    async sweep(): Promise<Record<string, number>> {
      const [payloads, revoked] = await Promise.all([repos.payloads.deleteExpired(), repos.revocations.deleteExpired()]);
      return {
        payloads,
        revocations: revoked,
        grant_labs: await repos.tenancy.deleteOrphanGrantLabs(),
        grant_origins: await repos.grantOrigins.deleteOrphans(),
        token_counts: await repos.tokenCounts.deleteBefore(new Date(clock.now().getTime() - 31 * 86_400_000)),
        events: await repos.events.deleteBefore(new Date(clock.now().getTime() - config.eventRetentionDays * 86_400_000)),
        ssf_sets: await repos.ssf.deleteSetsBefore(new Date(clock.now().getTime() - config.eventRetentionDays * 86_400_000)),
        email_tokens: await repos.emailTokens.deleteExpired(clock.now()),
      };
    },
  };
}

export type Services = ReturnType<typeof createServices>;
