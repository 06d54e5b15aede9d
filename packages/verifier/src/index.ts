/**
 * `@gatehouse/verifier`: verify Gatehouse access tokens (RFC 9068) in a resource server, with Koa
 * and Express middleware and per-route requirements. Depends on jose and Node built-ins only.
 *
 * @example
 * ```ts
 * import { createVerifier, koaAuth, koaRequire, requireScope } from '@gatehouse/verifier';
 *
 * const verifier = createVerifier({ issuer: 'https://id.example.org', audience: 'https://cms.example' });
 * router.get('/cases', koaAuth(verifier), koaRequire(requireScope('cases:read')), listCases);
 * ```
 *
 * @packageDocumentation
 */
export type { AuthMiddlewareOptions } from './auth-middleware-options.js';
export { createVerifier, type DPoPOptions, type Verifier, type VerifierOptions, type VerifyOptions } from './create-verifier.js';
export type { DPoPRequest } from './lib/dpop-proof.js';
export { expressAuth, type ExpressLikeMiddleware, type ExpressLikeRequest, type ExpressLikeResponse } from './express-auth.js';
export { expressRequire } from './express-require.js';
export type { Actor, GatehouseClaims, LabRole } from './gatehouse-claims.js';
export { koaAuth, type KoaLikeContext, type KoaLikeMiddleware } from './koa-auth.js';
export { koaRequire } from './koa-require.js';
export { clientCredentialsToken, createRevocationFeed, type RevocableToken, type RevocationFeed, type RevocationFeedOptions } from './revocation-feed.js';
export { requireActive } from './require-active.js';
export { requireLab } from './require-lab.js';
export { requireRole } from './require-role.js';
export { requireScope } from './require-scope.js';
export type { AuthContext, Requirement } from './requirement.js';
export { VerifierError, type VerifierErrorCode } from './verifier-error.js';
