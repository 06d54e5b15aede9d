import type { AuditLog } from '../audit/audit-log.js';
import { AppError } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { ResourceRepository } from '../ports/resource-repository.js';
import type { ActingLab, LabAccess } from '../tenancy/lab-access.js';
import type { Resource } from '../types.js';

/**
 * Who acted, as RFC 8693 §4.1's `act` claim says it: the acting client, and (nested) whoever
 * acted before it when the subject token was itself the result of an exchange.
 */
export interface Actor {
  sub: string;
  client_id: string;
  act?: Actor;
}

/** How long a delegation chain may grow (cms → tts → … ): a bound, not a policy anyone should reach. */
export const MAX_DELEGATION_DEPTH = 4;

/** The client asking for the exchange, as its metadata describes it. */
export interface ExchangingClient {
  clientId: string;
  /** The resources it may get tokens for, and serves: a subject token must be for one of them. */
  resources: readonly string[];
  /** The resource scopes it may be granted. */
  resourceScopes: readonly string[];
  /** The resources it may target by token exchange (a subset of `resources`). */
  exchangeResources: readonly string[];
}

/** A user's access token, already verified (signature, issuer, expiry) and found alive (not revoked, user and lab membership active). */
export interface SubjectToken {
  jti: string;
  sub: string;
  /** The client the subject token was issued to. */
  clientId?: string;
  audience: readonly string[];
  /** Expiry, in seconds since the epoch. */
  expiresAt: number;
  /** The user's grant the token came from: the exchanged token dies with it. */
  grantId: string;
  act?: Actor;
  /** The lab the token acts in, as the membership stands now. */
  acting?: ActingLab;
}

export interface ExchangeRequest {
  client: ExchangingClient;
  subject: SubjectToken;
  /** The target resource indicator (RFC 8707 `resource`). */
  resource: string;
  /** Requested scopes; absent means every scope the client may have on the target. */
  scope?: readonly string[];
}

/** What the exchanged token is: for whom, with what, for how long, and the claims that say so. */
export interface ExchangedToken {
  resource: Resource;
  scope: string[];
  /** Seconds: the target's token lifetime, never past the subject token's expiry. */
  expiresIn: number;
  claims: { act: Actor; roles: string[]; lab_id?: string; lab_role?: string };
}

export type ExchangeRefusal = 'invalid_target' | 'invalid_scope' | 'invalid_grant';

/** The exchange is refused; `reason` is the OAuth error the protocol layer answers with. */
export class TokenExchangeRefused extends AppError {
  constructor(readonly reason: ExchangeRefusal, message: string) {
    super(reason, 400, message);
  }
}

export interface TokenExchangeDeps {
  resources: Pick<ResourceRepository, 'find'>;
  labs: Pick<LabAccess, 'rolesOn'>;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
}

function depth(actor: Actor | undefined): number {
  return actor ? 1 + depth(actor.act) : 0;
}

/**
 * Token exchange (RFC 8693) as delegation: a service that received a user's access token gets a
 * token for another resource, acting for that user. The policy lives here:
 * - the subject token must have been issued for a resource the client serves (a client cannot
 *   exchange tokens it merely came across), and the target must be one of the client's token
 *   exchange resources;
 * - scopes are what the target offers and the client may be granted; asking for any other
 *   refuses the request instead of quietly dropping it. The subject token's own scopes are not
 *   intersected: they are another resource's vocabulary (cases:read says nothing about tickets);
 *   what the user may do at the target is bounded by the user's roles there, recomputed below;
 * - the lab the subject token acts in carries over, with the membership's current role, and the
 *   user's roles are those on the target in that lab;
 * - the result always names the acting client in `act` (impersonation is not offered), nesting
 *   the subject token's own `act`, and never outlives the subject token.
 */
export function createTokenExchange(deps: TokenExchangeDeps) {
  return {
    async authorize(request: ExchangeRequest): Promise<ExchangedToken> {
      const { client, subject } = request;
      // The client serves the subject token's audience: one of its resources that is not itself an
      // exchange target (a client must not turn tokens for a target it merely may reach into more).
      if (!subject.audience.some((aud) => client.resources.includes(aud) && !client.exchangeResources.includes(aud))) {
        throw new TokenExchangeRefused('invalid_grant', 'the subject token was not issued for a resource this client serves');
      }
      if (depth(subject.act) >= MAX_DELEGATION_DEPTH) {
        throw new TokenExchangeRefused('invalid_grant', `the subject token's delegation chain is already ${MAX_DELEGATION_DEPTH} long`);
      }
      if (!client.exchangeResources.includes(request.resource) || !client.resources.includes(request.resource)) {
        throw new TokenExchangeRefused('invalid_target', 'this client may not exchange tokens for that resource');
      }
      const resource = await deps.resources.find(request.resource);
      if (!resource) throw new TokenExchangeRefused('invalid_target', 'this client may not exchange tokens for that resource');

      const allowed = resource.scopes.filter((s) => client.resourceScopes.includes(s));
      const refused = (request.scope ?? []).filter((s) => !allowed.includes(s));
      if (refused.length) throw new TokenExchangeRefused('invalid_scope', `scope not allowed for this exchange: ${[...new Set(refused)].join(' ')}`);
      const scope = request.scope ? [...new Set(request.scope)] : allowed;

      const remaining = subject.expiresAt - Math.floor(deps.clock.now().getTime() / 1000);
      if (remaining <= 0) throw new TokenExchangeRefused('invalid_grant', 'the subject token has expired');

      const roles = await deps.labs.rolesOn('user', subject.sub, resource.uri, subject.acting?.labId);
      const act: Actor = { sub: client.clientId, client_id: client.clientId, ...(subject.act ? { act: subject.act } : {}) };
      return {
        resource,
        scope,
        expiresIn: Math.min(resource.accessTokenTtl, remaining),
        claims: { act, roles, ...(subject.acting ? { lab_id: subject.acting.labId, lab_role: subject.acting.role } : {}) },
      };
    },

    /** The audit row of an exchange that produced a token (awaited: no exchanged token leaves unrecorded). */
    async record(exchange: { client: ExchangingClient; subject: SubjectToken; issued: ExchangedToken; jti: string; requestId?: string; ip?: string }): Promise<void> {
      const { client, subject, issued } = exchange;
      await deps.audit.record({
        actor: `client:${client.clientId}`,
        action: 'token.exchanged',
        target: `user:${subject.sub}`,
        details: {
          jti: exchange.jti,
          aud: issued.resource.uri,
          scope: issued.scope.join(' '),
          subject_jti: subject.jti,
          subject_client_id: subject.clientId ?? null,
          subject_aud: [...subject.audience],
          lab_id: issued.claims.lab_id ?? null,
          act: issued.claims.act,
        },
        requestId: exchange.requestId,
        ip: exchange.ip,
      });
    },
  };
}

export type TokenExchange = ReturnType<typeof createTokenExchange>;
