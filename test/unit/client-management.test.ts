import assert from 'node:assert/strict';

import { DEFAULT_RESOURCE_PROPERTY, FIRST_PARTY_PROPERTY, RESOURCE_SCOPES_PROPERTY, RESOURCES_PROPERTY, TOKEN_EXCHANGE_RESOURCES_PROPERTY } from '../../src/domain/client-metadata.js';
import { CLIENT_SECRET_HASHES_PROPERTY, isPlaceholder, verifyClientSecret, type ClientSecretHash } from '../../src/domain/clients/client-secret.js';
import { ConflictError, NotFoundError, ValidationError } from '../../src/domain/errors.js';
import { createClientManagement, type GrantType, type MetadataValidator } from '../../src/domain/management/client-management.js';
import { TOKEN_EXCHANGE_GRANT } from '../../src/domain/schemas/client-schemas.js';
import type { ClientMetadata } from '../../src/domain/ports/client-repository.js';
import { createManagementFixture, origin, refused } from '../fakes/management-fixture.js';

const api = 'https://cases.example';
const OVERLAP_SECONDS = 3600;
const web = { redirectUris: ['https://app.example/cb'] };

function setup(options: { validateMetadata?: MetadataValidator } = {}) {
  const fixture = createManagementFixture();
  const revoked: string[] = [];
  const forgotten: string[] = [];
  const clients = createClientManagement({
    clients: fixture.repos.clients,
    resources: fixture.repos.resources,
    change: fixture.change,
    secretOverlapSeconds: OVERLAP_SECONDS,
    validateMetadata: options.validateMetadata ?? (async () => undefined),
    revokeGrant: async (grantId) => void revoked.push(grantId),
    forgetClient: (clientId) => void forgotten.push(clientId),
    now: () => fixture.clock.now().getTime(),
  });
  fixture.seed.resource({ uri: api, scopes: ['cases:read', 'cases:write'] });
  fixture.seed.resource({ uri: 'https://other.example', scopes: ['other:read'] });
  const stored = (clientId: string): ClientMetadata => fixture.state.clients.find((c) => c.metadata.client_id === clientId)!.metadata;
  const hashes = (clientId: string) => stored(clientId)[CLIENT_SECRET_HASHES_PROPERTY] as ClientSecretHash[];
  return { ...fixture, clients, revoked, forgotten, stored, hashes };
}

describe('unit: client management', () => {
  describe('create', () => {
    it('gives a confidential client a secret shown once and stored only as a hash, and records the client', async () => {
      const { clients, stored, hashes, forgotten, actions, clock } = setup();
      const { client, clientSecret } = await clients.create(origin, { clientId: 'portal', ...web, resources: [api], scope: 'openid cases:read' });
      assert.match(clientSecret!, /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual([client.secretCount, client.scope, client.resourceScopes], [1, 'openid', ['cases:read']]);
      assert.ok(!JSON.stringify(stored('portal')).includes(clientSecret!), 'the secret itself is never stored');
      assert.ok(isPlaceholder(stored('portal').client_secret));
      assert.ok(verifyClientSecret(clientSecret, hashes('portal'), clock.now().getTime()));
      assert.deepEqual(forgotten, ['portal']);
      assert.deepEqual(actions(), ['client.created']);
    });

    it('takes a device-flow client without redirect URIs, public or confidential, with refresh_token', async () => {
      const { clients, stored } = setup();
      const device = 'urn:ietf:params:oauth:grant-type:device_code' as const;
      const { client } = await clients.create(origin, { clientId: 'lab-cli', grantTypes: [device, 'refresh_token'], tokenEndpointAuthMethod: 'none', resources: [api] });
      assert.deepEqual([client.redirectUris, client.grantTypes], [[], [device, 'refresh_token']]);
      assert.deepEqual(stored('lab-cli').response_types, [], 'no authorization endpoint use');
      const { clientSecret } = await clients.create(origin, { clientId: 'wall-screen', grantTypes: [device] });
      assert.ok(clientSecret);
    });

    it('requires PAR only of clients with the authorization_code grant, and stores the flag only when on', async () => {
      const { clients, stored } = setup();
      await refused(clients.create(origin, { clientId: 'svc', grantTypes: ['client_credentials'], requirePushedAuthorizationRequests: true }), ValidationError, 'requirePushedAuthorizationRequests');
      const { client } = await clients.create(origin, { clientId: 'par-web', ...web, requirePushedAuthorizationRequests: true });
      assert.equal(client.requirePushedAuthorizationRequests, true);
      assert.equal(stored('par-web').require_pushed_authorization_requests, true);
      const { client: plain } = await clients.create(origin, { clientId: 'web', ...web });
      assert.equal(plain.requirePushedAuthorizationRequests, false);
      assert.equal('require_pushed_authorization_requests' in stored('web'), false);
      const { client: off } = await clients.update(origin, 'par-web', { requirePushedAuthorizationRequests: false });
      assert.equal(off.requirePushedAuthorizationRequests, false);
    });

    it('gives a public client no secret', async () => {
      const { clients, stored } = setup();
      const result = await clients.create(origin, { clientId: 'spa', ...web, tokenEndpointAuthMethod: 'none' });
      assert.equal(result.clientSecret, undefined);
      assert.equal(result.client.secretCount, 0);
      assert.equal(stored('spa')[CLIENT_SECRET_HASHES_PROPERTY], undefined);
    });

    it('answers a taken client id with a conflict on #/body/clientId and records nothing more', async () => {
      const { clients, actions } = setup();
      await clients.create(origin, { clientId: 'portal', ...web });
      await refused(clients.create(origin, { clientId: 'portal', ...web }), ConflictError, 'clientId');
      assert.deepEqual(actions(), ['client.created']);
    });

    it('refuses redirect URIs that are not https (http only on loopback) or carry a fragment', async () => {
      const { clients } = setup();
      await refused(clients.create(origin, { redirectUris: ['http://app.example/cb'] }), ValidationError, 'redirectUris.0');
      await refused(clients.create(origin, { redirectUris: ['https://app.example/cb#x'] }), ValidationError, 'redirectUris.0');
      await refused(clients.create(origin, { redirectUris: ['/relative'] }), ValidationError, 'redirectUris.0');
      assert.equal((await clients.create(origin, { redirectUris: ['http://127.0.0.1:8080/cb'] })).client.redirectUris.length, 1);
    });

    it('refuses grant combinations that cannot work', async () => {
      const { clients } = setup();
      await refused(clients.create(origin, { grantTypes: ['authorization_code'] }), ValidationError, 'redirectUris');
      await refused(clients.create(origin, { ...web, grantTypes: ['refresh_token'] }), ValidationError, 'grantTypes');
      await refused(clients.create(origin, { grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'none' }), ValidationError, 'tokenEndpointAuthMethod');
    });

    it('refuses unknown resources, scopes those resources do not offer, and a default outside the list', async () => {
      const { clients, state } = setup();
      await refused(clients.create(origin, { ...web, resources: ['https://nope.example'] }), ValidationError, 'resources.0');
      await refused(clients.create(origin, { ...web, resources: [api], resourceScopes: ['cases:read', 'other:read'] }), ValidationError, 'resourceScopes.1');
      await refused(clients.create(origin, { ...web, resources: [api], scope: 'openid other:read' }), ValidationError, 'scope');
      await refused(clients.create(origin, { ...web, resources: [api], defaultResource: 'https://other.example' }), ValidationError, 'defaultResource');
      assert.equal(state.clients.length + state.audit.length, 0);
    });

    it('takes token exchange targets only among the client\'s resources and only for confidential clients, and a first-party flag', async () => {
      const { clients, stored } = setup();
      const exchange = { grantTypes: [TOKEN_EXCHANGE_GRANT] as GrantType[], resources: [api, 'https://other.example'] };
      await refused(clients.create(origin, { ...exchange, resources: [api], tokenExchangeResources: ['https://other.example'] }), ValidationError, 'tokenExchangeResources.0');
      await refused(clients.create(origin, { ...exchange, tokenEndpointAuthMethod: 'none' }), ValidationError, 'tokenEndpointAuthMethod');
      const { client } = await clients.create(origin, { clientId: 'cms-backend', ...exchange, tokenExchangeResources: ['https://other.example'] });
      assert.deepEqual([client.tokenExchangeResources, client.firstParty], [['https://other.example'], false]);
      assert.deepEqual(stored('cms-backend')[TOKEN_EXCHANGE_RESOURCES_PROPERTY], ['https://other.example']);
      // A new resource list drops the targets it no longer holds, as it drops the default.
      const { client: narrowed } = await clients.update(origin, 'cms-backend', { resources: [api] });
      assert.deepEqual(narrowed.tokenExchangeResources, []);
      const { client: trusted } = await clients.create(origin, { clientId: 'intranet', ...web, firstParty: true });
      assert.equal(trusted.firstParty, true);
      assert.equal(stored('intranet')[FIRST_PARTY_PROPERTY], true);
      assert.equal((await clients.update(origin, 'intranet', { firstParty: false })).client.firstParty, false);
    });

    it('maps oidc-provider\'s metadata complaint to the field it names, and passes any other error on', async () => {
      const complaint = setup({ validateMetadata: async () => { throw Object.assign(new Error('x'), { error: 'invalid_client_metadata', error_description: 'redirect_uris must not be empty' }); } });
      await refused(complaint.clients.create(origin, web), ValidationError, 'redirectUris');
      const bug = setup({ validateMetadata: async () => { throw new TypeError('bug'); } });
      await assert.rejects(bug.clients.create(origin, web), TypeError);
    });
  });

  describe('update', () => {
    it('turns a public client confidential with a first secret, and a confidential one public without secrets', async () => {
      const { clients, stored } = setup();
      await clients.create(origin, { clientId: 'spa', ...web, tokenEndpointAuthMethod: 'none' });
      const confidential = await clients.update(origin, 'spa', { tokenEndpointAuthMethod: 'client_secret_basic' });
      assert.ok(confidential.clientSecret);
      assert.equal(confidential.client.secretCount, 1);
      const back = await clients.update(origin, 'spa', { tokenEndpointAuthMethod: 'none' });
      assert.equal(back.clientSecret, undefined);
      assert.equal(stored('spa')[CLIENT_SECRET_HASHES_PROPERTY], undefined);
      assert.equal(stored('spa').client_secret, undefined);
    });

    it('keeps what a change does not name, drops a default no longer listed, and records before and after', async () => {
      const { clients, state } = setup();
      await clients.create(origin, { clientId: 'portal', ...web, clientName: 'Portal', resources: [api, 'https://other.example'], defaultResource: api, scope: 'openid email' });
      const { client } = await clients.update(origin, 'portal', { resources: ['https://other.example'] });
      assert.deepEqual([client.clientName, client.scope, client.defaultResource, client.redirectUris], ['Portal', 'openid email', undefined, web.redirectUris]);
      const row = state.audit.at(-1)!;
      assert.equal(row.action, 'client.updated');
      assert.deepEqual([(row.details.before as { resources: string[] }).resources.length, (row.details.after as { resources: string[] }).resources.length], [2, 1]);
      await refused(clients.update(origin, 'nope', { clientName: 'x' }), NotFoundError);
    });
  });

  describe('rotateSecret', () => {
    it('accepts the new secret at once and the previous one until the overlap ends, by the injected clock', async () => {
      const { clients, hashes, clock, actions } = setup();
      const { clientSecret: first } = await clients.create(origin, { clientId: 'portal', ...web });
      clock.advance(60_000);
      const rotatedAt = clock.now().getTime();
      const rotated = await clients.rotateSecret(origin, 'portal');
      assert.equal(rotated.previousSecretExpiresAt, new Date(rotatedAt + OVERLAP_SECONDS * 1000).toISOString());
      assert.equal(rotated.client.secretCount, 2);
      assert.ok(verifyClientSecret(rotated.clientSecret, hashes('portal'), clock.now().getTime()));
      assert.ok(verifyClientSecret(first, hashes('portal'), clock.now().getTime()));

      clock.advance(OVERLAP_SECONDS * 1000 - 1);
      assert.ok(verifyClientSecret(first, hashes('portal'), clock.now().getTime()), 'still accepted a millisecond before the end');
      clock.advance(1);
      assert.ok(!verifyClientSecret(first, hashes('portal'), clock.now().getTime()), 'refused from the end on');
      assert.ok(verifyClientSecret(rotated.clientSecret, hashes('portal'), clock.now().getTime()));
      assert.equal((await clients.get('portal')).secretCount, 1);
      assert.deepEqual(actions(), ['client.created', 'client.secret_rotated']);
    });

    it('drops secrets already expired at the next rotation', async () => {
      const { clients, hashes, clock } = setup();
      await clients.create(origin, { clientId: 'portal', ...web });
      await clients.rotateSecret(origin, 'portal');
      clock.advance((OVERLAP_SECONDS + 1) * 1000);
      await clients.rotateSecret(origin, 'portal');
      assert.equal(hashes('portal').length, 2);
    });

    it('refuses rotating a public client\'s (non-existent) secret, and an unknown client', async () => {
      const { clients, state } = setup();
      await clients.create(origin, { clientId: 'spa', ...web, tokenEndpointAuthMethod: 'none' });
      await refused(clients.rotateSecret(origin, 'spa'), ConflictError, 'clientId');
      await refused(clients.rotateSecret(origin, 'nope'), NotFoundError);
      assert.equal(state.audit.length, 1);
    });
  });

  describe('saveRegistered (RFC 7591/7592, as oidc-provider hands a registration over)', () => {
    const registered = (extra: Record<string, unknown> = {}): ClientMetadata => ({
      client_id: 'dyn-1', client_name: 'Tool', redirect_uris: ['http://127.0.0.1:9/cb'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'none',
      client_id_issued_at: 1700000000, ...extra,
    });

    it('takes the policy\'s resources (all their scopes unless some are named), never the registrant\'s Gatehouse metadata, and records it', async () => {
      const { clients, stored, actions } = setup();
      const view = await clients.saveRegistered(origin, registered({ [FIRST_PARTY_PROPERTY]: true, [RESOURCES_PROPERTY]: ['https://other.example'] }), { resources: [api] });
      assert.deepEqual([view.resources, view.resourceScopes, view.defaultResource, view.firstParty, view.registeredDynamically], [[api], ['cases:read', 'cases:write'], api, false, true]);
      assert.equal(stored('dyn-1').client_id_issued_at, 1700000000, 'descriptive fields are kept');
      const narrowed = await clients.saveRegistered(origin, registered({ [RESOURCE_SCOPES_PROPERTY]: ['cases:read'] }), { resources: [api] });
      assert.deepEqual(narrowed.resourceScopes, ['cases:read']);
      assert.deepEqual(actions(), ['client.registered', 'client.registration_updated']);
    });

    it('stores a secret oidc-provider generated only as its hash, and keeps it through an update that carries the placeholder', async () => {
      const { clients, stored, hashes, clock } = setup();
      const secret = 'generated-by-oidc-provider-0123456789abcdef';
      await clients.saveRegistered(origin, registered({ token_endpoint_auth_method: 'client_secret_basic', client_secret: secret }), { resources: [api] });
      assert.ok(!JSON.stringify(stored('dyn-1')).includes(secret) && isPlaceholder(stored('dyn-1').client_secret));
      await clients.saveRegistered(origin, registered({ token_endpoint_auth_method: 'client_secret_basic', client_secret: stored('dyn-1').client_secret, client_name: 'Renamed' }), { resources: [api] });
      assert.ok(verifyClientSecret(secret, hashes('dyn-1'), clock.now().getTime()));
    });

    it('refuses service grants and the management rules\' refusals, and never changes or deletes an operator\'s client', async () => {
      const { clients } = setup();
      await refused(clients.saveRegistered(origin, registered({ grant_types: ['authorization_code', 'client_credentials'], token_endpoint_auth_method: 'client_secret_basic' }), { resources: [api] }), ValidationError);
      await refused(clients.saveRegistered(origin, registered({ redirect_uris: ['http://evil.example/cb'] }), { resources: [api] }), ValidationError);
      await clients.create(origin, { clientId: 'portal', ...web, resources: [api] });
      await refused(clients.saveRegistered(origin, { ...registered(), client_id: 'portal' }, { resources: [api] }), ConflictError);
      await refused(clients.removeRegistered(origin, 'portal'), ConflictError);
    });
  });

  describe('remove', () => {
    it('revokes the grants users gave the client, deletes it with its roles and records how many grants went', async () => {
      const { clients, seed, state, revoked, forgotten } = setup();
      await clients.create(origin, { clientId: 'portal', ...web });
      seed.user({ username: 'bob' });
      seed.grant('g1', 'u-bob', 'portal');
      seed.grant('g2', 'u-bob', 'portal');
      seed.role({ principalType: 'client', principalId: 'portal', resourceUri: api, role: 'reader' });
      await clients.remove(origin, 'portal');
      assert.deepEqual(revoked.slice(0, 2), ['g1', 'g2']);
      assert.ok(!state.clients.some((c) => c.metadata.client_id === 'portal'));
      assert.equal(state.roles.length, 0);
      assert.equal(state.audit.at(-1)!.details.revokedGrants, 2);
      assert.deepEqual(forgotten, ['portal', 'portal']);
      await refused(clients.remove(origin, 'portal'), NotFoundError);
    });

    it('keeps on record that grants were revoked when the delete itself then fails', async () => {
      const { clients, seed, state, storage } = setup();
      await clients.create(origin, { clientId: 'portal', ...web });
      seed.grant('g1', 'u-bob', 'portal');
      storage.failNext('clients.delete');
      await assert.rejects(clients.remove(origin, 'portal'), /injected failure/);
      assert.ok(state.clients.some((c) => c.metadata.client_id === 'portal'));
      assert.equal(state.audit.at(-1)!.action, 'client.grants_revoked');
      assert.deepEqual(state.audit.at(-1)!.details, { grants: 1, deleteFailed: true });
    });
  });

  it('lists clients in id order with the total, filtered by resource, and never shows secrets', async () => {
    const { clients } = setup();
    await clients.create(origin, { clientId: 'b-app', ...web, resources: [api] });
    await clients.create(origin, { clientId: 'a-app', ...web });
    const page = await clients.list({}, { limit: 10, offset: 0 });
    assert.deepEqual([page.items.map((c) => c.clientId), page.total], [['a-app', 'b-app'], 2]);
    assert.deepEqual((await clients.list({ resource: api }, { limit: 10, offset: 0 })).items.map((c) => c.clientId), ['b-app']);
    assert.ok(!JSON.stringify(page).includes('sha256:'));
    assert.ok(!(RESOURCES_PROPERTY in page.items[0]!) && !(RESOURCE_SCOPES_PROPERTY in page.items[0]!) && !(DEFAULT_RESOURCE_PROPERTY in page.items[0]!));
  });
});
