import { createHash } from 'node:crypto';

import type { AuditedChange, ChangeOrigin } from '../management/audited-change.js';
import type { PayloadRepository } from '../ports/payload-repository.js';
import { NotFoundError, ValidationError } from '../errors.js';

/** oidc-provider's model name: initial access tokens are its own, stored through the adapter. */
export const INITIAL_ACCESS_TOKEN_KIND = 'InitialAccessToken';
/** The registration policy that makes an initial access token good for one registration. */
export const SINGLE_USE_POLICY = 'single-use';
const MAX_LISTED = 500;

/** The public id of a registration credential: its SHA-256, which is all that is stored. */
export const storedTokenId = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** Issues an initial access token (oidc-provider's model) and returns its value. */
export type InitialAccessTokenIssuer = (options: { expiresInSeconds: number; policies?: string[] }) => Promise<string>;

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
  /** The server's provider issues them; absent (the CLI): creating one is refused. */
  issue?: InitialAccessTokenIssuer;
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
      if (!deps.issue) throw new ValidationError('initial access tokens are issued by the server, with dynamic registration set to initial-access-token', [{ field: '', detail: 'dynamic registration with initial access tokens is off' }]);
      if (input.expiresInSeconds > deps.maxLifetimeSeconds) throw new ValidationError('too long a lifetime', [{ field: 'expiresInSeconds', detail: `must be at most ${deps.maxLifetimeSeconds}` }]);
      const token = await deps.issue({ expiresInSeconds: input.expiresInSeconds, ...(input.singleUse ? { policies: [SINGLE_USE_POLICY] } : {}) });
      const now = Date.now();
      const view: InitialAccessTokenView = {
        id: storedTokenId(token), singleUse: input.singleUse, used: false,
        createdAt: new Date(now).toISOString(), expiresAt: new Date(now + input.expiresInSeconds * 1000).toISOString(),
      };
      await deps.change(origin, (_repos, record) => record('initial_access_token.created', `initial-access-token:${view.id}`, { singleUse: view.singleUse, expiresAt: view.expiresAt }));
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
