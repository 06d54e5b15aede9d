import { defineOperation, type ApiOperation } from '../api-operation.js';
import { originOf } from '../caller.js';
import { INITIAL_ACCESS_TOKEN_ID_PATTERN, INITIAL_ACCESS_TOKEN_MAX_SECONDS } from '../../../domain/clients/initial-access-tokens.js';
import type { Services } from '../../../services.js';
import { strictObject, timestamp } from '../schemas.js';

const tokenId = { type: 'string', pattern: INITIAL_ACCESS_TOKEN_ID_PATTERN, description: 'The SHA-256 of the token, base64url: how it is listed and named in the audit log.' } as const;
const tokenProps = {
  id: tokenId,
  singleUse: { type: 'boolean', description: 'Good for one registration (the first that presents it, whether it succeeds or not); otherwise good until it expires.' },
  used: { type: 'boolean', description: 'A single-use token that has been presented.' },
  createdAt: timestamp,
  expiresAt: timestamp,
};
const tokenRequired = ['id', 'singleUse', 'used', 'createdAt', 'expiresAt'] as const;
const tokenSchema = strictObject(tokenProps, tokenRequired);
const createBody = strictObject({
  expiresInSeconds: { type: 'integer', minimum: 60, maximum: INITIAL_ACCESS_TOKEN_MAX_SECONDS, default: 86_400, description: 'Lifetime (default one day, at most 30 days).' },
  singleUse: { type: 'boolean', default: true, description: 'Good for one registration only (default).' },
});

/** /initial-access-tokens: what lets someone register a client dynamically (RFC 7591 §3) when GATEHOUSE_DYNAMIC_REGISTRATION=initial-access-token. */
export function createInitialAccessTokenOperations({ initialAccessTokens }: Pick<Services, 'initialAccessTokens'>): ApiOperation[] {
  return [
    defineOperation<Record<string, never>, Record<string, never>, { expiresInSeconds: number; singleUse: boolean }>({
      operationId: 'createInitialAccessToken', method: 'post', path: '/initial-access-tokens', tag: 'Clients', summary: 'Create an initial access token',
      description: 'The token is shown only in this response (`token`); only its SHA-256 is stored. Hand it to whoever registers the client: '
        + '`POST /reg` with `Authorization: Bearer <token>`. Clients registered with it get the resources of GATEHOUSE_DYNAMIC_CLIENT_RESOURCES. '
        + 'Refused (400) unless GATEHOUSE_DYNAMIC_REGISTRATION is initial-access-token.',
      access: { scope: 'clients:write' },
      body: createBody,
      responses: {
        201: { description: 'The token, once.', schema: strictObject({ ...tokenProps, token: { type: 'string', description: 'The initial access token. Shown only here.' } }, [...tokenRequired, 'token']) },
        400: { description: 'Dynamic registration with initial access tokens is off, or an invalid lifetime.' },
      },
      async handle(request) {
        return { status: 201, body: await initialAccessTokens.create(originOf(request), request.body) };
      },
    }),
    defineOperation({
      operationId: 'listInitialAccessTokens', method: 'get', path: '/initial-access-tokens', tag: 'Clients', summary: 'List initial access tokens',
      description: 'Unexpired tokens, newest first (at most 500), never their values.',
      access: { scope: 'clients:read' },
      responses: { 200: { description: 'The tokens.', schema: strictObject({ items: { type: 'array', items: tokenSchema } }, ['items']) } },
      async handle() {
        return { body: { items: await initialAccessTokens.list() } };
      },
    }),
    defineOperation<{ id: string }>({
      operationId: 'revokeInitialAccessToken', method: 'delete', path: '/initial-access-tokens/{id}', tag: 'Clients', summary: 'Revoke an initial access token',
      description: 'It registers nothing more; clients it registered stay.',
      access: { scope: 'clients:write' },
      params: strictObject({ id: tokenId }, ['id']),
      responses: { 204: { description: 'Revoked.' }, 404: { description: 'No such (unexpired) token.' } },
      async handle(request) {
        await initialAccessTokens.revoke(originOf(request), request.params.id);
        return {};
      },
    }),
  ];
}
