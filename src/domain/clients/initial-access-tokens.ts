import { createHash, randomBytes } from 'node:crypto';

import type { AuditedChange, ChangeOrigin } from '../management/audited-change.js';
import type { PayloadRepository } from '../ports/payload-repository.js';
import { NotFoundError, ValidationError } from '../errors.js';

/** oidc-provider's model name: initial access tokens are its own, stored through the adapter. */
export const INITIAL_ACCESS_TOKEN_KIND = 'InitialAccessToken';
/** The registration policy that makes an initial access token good for one registration. */
export const SINGLE_USE_POLICY = 'single-use';
const MAX_LISTED = 500;
/** The longest lifetime an operator may give a token: 30 days. */
export const INITIAL_ACCESS_TOKEN_MAX_SECONDS = 30 * 86_400;
/** How a token is named (its stored id): a SHA-256, base64url. */
export const INITIAL_ACCESS_TOKEN_ID_PATTERN = '^[A-Za-z0-9_-]{43}$';

/** The public id of a registration credential: its SHA-256, which is all that is stored. */
export const storedTokenId = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** 256 bits, as oidc-provider's opaque tokens (its `bitsOfOpaqueRandomness` default): 43 base64url characters. */
const TOKEN_BYTES = 32;

export interface InitialAccessTokenView {
  /** The SHA-256 of the token (base64url): how it is listed, revoked and named in the audit log. */
  id: string;
  singleUse: boolean;
  /** A single-use token that registered a client. */
  used: boolean;
  createdAt: string;
  expiresAt: string;
}

export interface InitialAccessTokenDeps {
  payloads: PayloadRepository;
  change: AuditedChange;
  /** GATEHOUSE_DYNAMIC_REGISTRATION is `initial-access-token`; otherwise creating one is refused. */
  enabled: boolean;
  /** Longest lifetime an operator may give a token. */
  maxLifetimeSeconds: number;
}

const epochIso = (seconds: unknown) => new Date(Number(seconds) * 1000).toISOString();

/**
 * Initial access tokens (RFC 7591 §3): an operator creates one and hands it to whoever may register
 * a client dynamically. Shown once, stored hashed, expiring; single-use or good until it expires;
 * revocable. Creation and revocation are audited.
 */
export function createInitialAccessTokens(deps: InitialAccessTokenDeps) {
  return {
    async create(origin: ChangeOrigin, input: { expiresInSeconds: number; singleUse: boolean }): Promise<InitialAccessTokenView & { token: string }> {
      if (!deps.enabled) throw new ValidationError('initial access tokens are issued only with dynamic registration set to initial-access-token', [{ field: '', detail: 'dynamic registration with initial access tokens is off' }]);
      if (input.expiresInSeconds > deps.maxLifetimeSeconds) throw new ValidationError('too long a lifetime', [{ field: 'expiresInSeconds', detail: `must be at most ${deps.maxLifetimeSeconds}` }]);
      const token = randomBytes(TOKEN_BYTES).toString('base64url');
      const iat = Math.floor(Date.now() / 1000);
      const exp = iat + input.expiresInSeconds;
      const view: InitialAccessTokenView = {
        id: storedTokenId(token), singleUse: input.singleUse, used: false, createdAt: epochIso(iat), expiresAt: epochIso(exp),
      };
      // oidc-provider's payload of its InitialAccessToken model, stored as its adapter stores one
      // (under the token's hash, without the value): /reg finds it by the value. Written here, not
      // through the provider, so the CLI (which runs no provider) issues the same tokens, and the
      // token and its audit row commit together.
      const payload = { iat, exp, kind: INITIAL_ACCESS_TOKEN_KIND, ...(input.singleUse ? { policies: [SINGLE_USE_POLICY] } : {}) };
      await deps.change(origin, async (repos, record) => {
        await repos.payloads.upsert(INITIAL_ACCESS_TOKEN_KIND, view.id, payload, input.expiresInSeconds);
        await record('initial_access_token.created', `initial-access-token:${view.id}`, { singleUse: view.singleUse, expiresAt: view.expiresAt });
      });
      return { ...view, token };
    },

    async list(): Promise<InitialAccessTokenView[]> {
      const stored = await deps.payloads.listByKind(INITIAL_ACCESS_TOKEN_KIND, MAX_LISTED);
      return stored.map(({ id, payload, consumedAtMs }) => {
        const policies = Array.isArray(payload.policies) ? payload.policies : [];
        return { id, singleUse: policies.includes(SINGLE_USE_POLICY), used: consumedAtMs !== undefined, createdAt: epochIso(payload.iat), expiresAt: epochIso(payload.exp) };
      });
    },

    async revoke(origin: ChangeOrigin, id: string): Promise<void> {
      await deps.change(origin, async (repos, record) => {
        if (!(await repos.payloads.find(INITIAL_ACCESS_TOKEN_KIND, id))) throw new NotFoundError('initial access token');
        await repos.payloads.destroy(INITIAL_ACCESS_TOKEN_KIND, id);
        await record('initial_access_token.revoked', `initial-access-token:${id}`);
      });
    },
  };
}

export type InitialAccessTokens = ReturnType<typeof createInitialAccessTokens>;
