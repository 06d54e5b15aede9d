import { defineOperation, type ApiOperation } from '../api-operation.js';
import { originOf } from '../caller.js';
import type { Services } from '../../../services.js';
import { strictObject, timestamp } from '../schemas.js';

const kid = { type: 'string', description: 'Key id: the RFC 7638 thumbprint of the public key.' } as const;

const keySchema = strictObject({
  kid,
  alg: { type: 'string' },
  status: { type: 'string', enum: ['signing', 'next', 'published'], description: '`signing` signs new tokens; `next` is published and signs from `activatesAt`; `published` is kept only so tokens it signed still verify.' },
  createdAt: timestamp,
  activatesAt: { ...timestamp, description: 'When the key starts (or started) signing; absent: since it was created.' },
  retiredAt: { ...timestamp, description: 'When a newer key took (or takes) over; the key stays published until the tokens it signed have expired.' },
}, ['kid', 'alg', 'status', 'createdAt']);

const keyList = { type: 'array', items: keySchema } as const;

/** GET /signing-keys and POST /signing-keys:rotate: the token signing keys, as `gatehouse keys list|rotate` manages them. */
export function createSigningKeyOperations({ signingKeys }: Pick<Services, 'signingKeys'>): ApiOperation[] {
  return [
    defineOperation({
      operationId: 'listSigningKeys', method: 'get', path: '/signing-keys', tag: 'Signing keys', summary: 'List the signing keys',
      description: 'Newest first. Public facts only: the private keys never leave the key file; the public ones are at `/jwks`.',
      access: { scope: 'keys:read' },
      responses: { 200: { description: 'The keys.', schema: strictObject({ items: keyList }, ['items']) } },
      async handle() {
        return { body: { items: signingKeys.list() } };
      },
    }),
    defineOperation<Record<string, never>, Record<string, never>, { activateInSeconds?: number }>({
      operationId: 'rotateSigningKey', method: 'post', path: '/signing-keys:rotate', tag: 'Signing keys', summary: 'Rotate the signing key',
      description: [
        'Adds a new key to the key file (GATEHOUSE_KEYS_DIR, shared by every node) and publishes it at once;',
        'it signs from `activateInSeconds` on (0: at once), and the key it replaces retires then.',
        'Pre-publication (say 3600) lets services that cache the JWKS learn the key before any token carries it.',
        'Nodes pick the file up within GATEHOUSE_KEYS_RELOAD_SECONDS. Retired keys stay published until the tokens they signed have expired, then go at a later rotation.',
        'Audited and published once as `signing_key.rotated`.',
      ].join(' '),
      access: { scope: 'keys:write' },
      body: strictObject({
        activateInSeconds: { type: 'integer', minimum: 0, maximum: 86_400, default: 0, description: 'Seconds from now until the new key signs (0–86400).' },
      }),
      responses: {
        201: {
          description: 'The new key and the key set after the rotation.',
          schema: strictObject({
            added: kid,
            activatesAt: timestamp,
            removed: { type: 'array', items: kid, description: 'Retired keys past their retention, removed by this rotation.' },
            keys: keyList,
          }, ['added', 'activatesAt', 'removed', 'keys']),
        },
        409: { description: 'Another rotation is in progress.' },
      },
      async handle(request) {
        return { status: 201, body: await signingKeys.rotate(originOf(request), request.body.activateInSeconds ?? 0) };
      },
    }),
  ];
}
