import assert from 'node:assert/strict';

import fc from 'fast-check';

import { AppError } from '../src/domain/errors.js';
import { createClientManagement, type ClientInput } from '../src/domain/management/client-management.js';
import { AUTH_METHODS, GRANT_TYPES } from '../src/domain/schemas/client-schemas.js';
import { createManagementFixture, origin } from './fakes/management-fixture.js';
import { mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

const CASES = 'https://cases.example';
const OTHER = 'https://other.example';

// Mostly acceptable URIs (so the provider's side is exercised), some that the rules must refuse.
const redirectUri = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('https://app.example/cb', 'https://app.example/cb?x=1', 'http://localhost:8080/cb', 'http://127.0.0.1/cb', 'http://[::1]:3000/cb') },
  { weight: 3, arbitrary: fc.webUrl({ validSchemes: ['https'], withQueryParameters: true }) },
  { weight: 1, arbitrary: fc.constantFrom('http://app.example/cb', 'myapp://cb', 'https://app.example/cb#fragment', 'not a uri', '', 'https://', 'javascript:alert(1)') },
  { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
);

const clientInput: fc.Arbitrary<ClientInput> = fc.record({
  clientId: fc.stringMatching(/^[A-Za-z0-9._~-]{1,24}$/),
  clientName: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
  redirectUris: fc.option(fc.array(redirectUri, { minLength: 1, maxLength: 3 }), { nil: undefined, freq: 8 }),
  postLogoutRedirectUris: fc.option(fc.array(redirectUri, { maxLength: 2 }), { nil: undefined }),
  grantTypes: fc.option(fc.subarray([...GRANT_TYPES], { minLength: 1 }), { nil: undefined }),
  scope: fc.option(fc.oneof(
    { weight: 9, arbitrary: fc.subarray(['openid', 'profile', 'email', 'offline_access', 'labs']) },
    { weight: 1, arbitrary: fc.subarray(['openid', 'cases:read', 'other:read', 'nope:read']) },
  ).map((s) => s.join(' ')), { nil: undefined }),
  resources: fc.option(fc.oneof({ weight: 9, arbitrary: fc.subarray([CASES, OTHER]) }, { weight: 1, arbitrary: fc.constant<string[]>(['https://unknown.example']) }), { nil: undefined }),
  defaultResource: fc.option(fc.constantFrom(CASES, OTHER), { nil: undefined, freq: 4 }),
  tokenEndpointAuthMethod: fc.option(fc.constantFrom(...AUTH_METHODS), { nil: undefined }),
  requirePushedAuthorizationRequests: fc.option(fc.boolean(), { nil: undefined }),
  dpopBoundAccessTokens: fc.option(fc.boolean(), { nil: undefined }),
  tokenExchangeResources: fc.option(fc.subarray([CASES, OTHER]), { nil: undefined }),
  firstParty: fc.option(fc.boolean(), { nil: undefined }),
}, { requiredKeys: ['clientId'] });

/**
 * The CLI builds no provider: Gatehouse's client rules decide alone there. That is sound only if
 * whatever those rules accept, oidc-provider (as the server configures it) accepts too.
 */
describe(`client metadata: whatever Gatehouse's rules accept, oidc-provider accepts (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse();
  });
  after(async () => gh?.stop());

  it('holds for generated clients (redirect URIs, grants including the device grant, auth methods, scopes, resources, token exchange targets, first party, PAR required or not)', async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(fc.asyncProperty(clientInput, async (input) => {
      const fixture = createManagementFixture();
      fixture.seed.resource({ uri: CASES, scopes: ['cases:read'] });
      fixture.seed.resource({ uri: OTHER, scopes: ['other:read'] });
      const clients = createClientManagement({ clients: fixture.repos.clients, resources: fixture.repos.resources, change: fixture.change, secretOverlapSeconds: 0 });
      try {
        await clients.create(origin, input);
      } catch (error) {
        if (!(error instanceof AppError) || error.status !== 400) throw error;
        refused += 1;
        return;
      }
      accepted += 1;
      const metadata = fixture.state.clients.find((c) => c.metadata.client_id === input.clientId)!.metadata;
      await gh.gatehouse.provider().Client.validate(metadata);
    }), { numRuns: 400 });
    // Both sides of the rules were exercised.
    assert.ok(accepted >= 40, `only ${accepted} generated clients were accepted`);
    assert.ok(refused >= 40, `only ${refused} generated clients were refused`);
  });
});
