import type { Config } from './config/load-config.js';
import { createAuditLog } from './domain/audit/audit-log.js';
import { createAuditTrail } from './domain/audit/audit-trail.js';
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
import type { EventFilter } from './domain/ports/event-repository.js';
import { checkOutboundUrl } from './lib/outbound-request.js';
import type { Logger } from './logger.js';
import { createAccessTerminator } from './oidc/access-terminator.js';
import { createAccountClaims } from './oidc/account-claims.js';
import { createGrantRevoker } from './oidc/grant-revoker.js';
import { createRevocationList } from './oidc/revocation-list.js';
import { createSessionDirectory } from './oidc/session-directory.js';
import type { Storage } from './storage/create-storage.js';

const REGISTRATIONS_PER_WINDOW = 10;
const REGISTRATION_WINDOW_SECONDS = 3600;

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

  const hasher = createPasswordHasher();
  const change = createAuditedChange({ transaction: storage.transaction, clock });
  const revocations = createRevocationList({ repository: repos.revocations, store });
  const grants = createGrantRevoker({ payloads: repos.payloads, revocations });
  const browserSessions = createSessionDirectory({ store, now: () => clock.now().getTime() });
  const access = Object.assign(createAccessTerminator({ payloads: repos.payloads, grants, sessions: browserSessions }), { revokeGrant: grants.revokeGrant });
  const labAccess = createLabAccess({ tenancy: repos.tenancy });
  const audit = createAuditLog({ transaction: storage.transaction, clock, onError: (error, event) => log.error('audit append failed', { error, action: event.action }) });
  const tokenIssuance = createTokenIssuanceCounter({
    repository: repos.tokenCounts, clock, onError: (error) => log.warn('could not write token counts; kept for the next flush', { error }),
  });
  const passwordPolicy = createPasswordPolicy({ minLength: config.passwordMinLength });

  /**
   * The management use cases over a set of repositories and the transactions their changes run
   * in. Everything they touch goes through `over`: inside a transaction, a query on another
   * connection could wait for the one the transaction holds (the embedded database has one).
   */
  function management(over: Repositories, transaction: Transaction, endAccess = access) {
    const audited = createAuditedChange({ transaction, clock });
    return {
      users: createUserManagement({ repos: over, change: audited, hasher, access: endAccess, passwordPolicy }),
      labs: createLabManagement({ labs: over.labs, change: audited }),
      roles: createRoleManagement({ repos: over, change: audited }),
      resources: createResourceManagement({ resources: over.resources, clients: over.clients, change: audited, apiResource: config.apiResource }),
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
    /** RFC 8693 token exchange policy: which targets, which scopes, the lab carried over, `act`; audited. */
    tokenExchange: createTokenExchange({ resources: repos.resources, labs: labAccess, audit, clock }),
    tokenIssuance,
    ...managed,
    /** Webhook subscriptions and their delivery log (the relays that deliver run in the server). */
    webhooks: createWebhookManagement({
      webhooks: repos.webhooks, labs: repos.labs, change, clock,
      checkUrl: async (url) => { await checkOutboundUrl(url, { allowPrivateNetworks: config.outboundAllowPrivateNetworks, allowHttp: config.outboundAllowHttp }); },
    }),
    /** The outbox read as a feed: events after a cursor, oldest first. */
    eventFeed: {
      after: (cursor: number, filter: EventFilter, limit: number) => repos.events.after(cursor, filter, limit),
      latestCursor: () => repos.events.latestSeq(),
    },
    sessions: createSessionListing({
      users: repos.users, labs: repos.labs, grantOrigins: repos.grantOrigins, sessions: browserSessions, grants, access, change,
    }),
    statistics: createStatistics({ statistics: repos.statistics, tokenCounts: repos.tokenCounts, tokenIssuance, sessions: browserSessions }),
    login: createLogin({
      authenticate: createAuthenticateUser({ users: repos.users, hasher }),
      throttle: createLoginThrottle({ store, maxFailures: config.loginMaxFailures, lockoutSeconds: config.loginLockoutSeconds }),
      audit,
    }),
    /** Undefined when self-registration is off (the route then does not exist). */
    registration: config.selfRegistration
      ? createSelfRegistration({ users, store, perWindow: REGISTRATIONS_PER_WINDOW, windowSeconds: REGISTRATION_WINDOW_SECONDS })
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
      };
    },
  };
}

export type Services = ReturnType<typeof createServices>;
