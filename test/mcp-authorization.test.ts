import { strict as assert } from 'node:assert';
import type { Server } from 'node:http';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { decodeJwt } from 'jose';

import { startMcpServer } from '../examples/mcp-server.js';
import { loginAndConsent } from './helpers/form-login.js';
import { freePort, john, mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService, serviceToken } from './helpers/management-api.js';

const CALLBACK = 'http://127.0.0.1:9/mcp-callback';

/** An MCP client application's side of the SDK's auth: keeps what the SDK hands it, and remembers where it was told to send the person. */
class RememberingProvider implements OAuthClientProvider {
  information?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier?: string;
  authorizationUrl?: URL;

  get redirectUrl() { return CALLBACK; }
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'MCP SDK test client', redirect_uris: [CALLBACK], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() { return this.information; }
  saveClientInformation(information: OAuthClientInformationMixed) { this.information = information; }
  tokens() { return this.saved; }
  saveTokens(tokens: OAuthTokens) { this.saved = tokens; }
  redirectToAuthorization(url: URL) { this.authorizationUrl = url; }
  saveCodeVerifier(verifier: string) { this.verifier = verifier; }
  codeVerifier() { return this.verifier!; }
}

describe(`the official MCP TypeScript SDK against an MCP server protected by @gatehouse/verifier (${mode})`, () => {
  let gh: TestGatehouse;
  let mcp: { url: string; server: Server };

  before(async () => {
    // Gatehouse's address first: the MCP server names it, and Gatehouse must know the MCP resource.
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    mcp = await startMcpServer({ issuer });
    gh = await startTestGatehouse({ PORT: String(port), ISSUER: issuer, GATEHOUSE_DYNAMIC_REGISTRATION: 'open', GATEHOUSE_DYNAMIC_CLIENT_RESOURCES: mcp.url });
    await gh.gatehouse.services.resources.create({ actor: 'test' }, { uri: mcp.url, name: 'Example MCP server', scopes: ['mcp:tools'] });
  });
  after(async () => {
    mcp?.server.closeAllConnections();
    mcp?.server.close();
    await gh?.stop();
  });

  it('serves RFC 9728 metadata naming Gatehouse, and a 401 pointing at it', async () => {
    const unauthorized = await fetch(mcp.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(unauthorized.status, 401);
    const challenge = unauthorized.headers.get('www-authenticate') ?? '';
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    assert.equal(metadataUrl, `${new URL(mcp.url).origin}/.well-known/oauth-protected-resource/mcp`);
    const metadata = await (await fetch(metadataUrl!)).json() as Record<string, unknown>;
    assert.deepEqual(metadata, {
      resource: mcp.url, authorization_servers: [gh.issuer], bearer_methods_supported: ['header'], scopes_supported: ['mcp:tools'], resource_name: 'Example MCP server',
    });
  });

  it('discovers Gatehouse from the 401, registers dynamically, runs code + PKCE + resource, and calls a tool; a token for another resource is refused', async () => {
    const provider = new RememberingProvider();
    const first = new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider });
    await assert.rejects(new Client({ name: 'test', version: '1.0.0' }).connect(first), UnauthorizedError);
    assert.ok(provider.information?.client_id, 'registered at Gatehouse\'s /reg');
    const registered = await api(gh.issuer, await serviceToken(gh.issuer, opsService), 'GET', `/clients/${provider.information.client_id}`);
    assert.equal(registered.body.registeredDynamically, true);

    const authorizationUrl = provider.authorizationUrl!;
    assert.equal(authorizationUrl.origin, gh.issuer);
    assert.equal(authorizationUrl.searchParams.get('resource'), mcp.url);
    assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
    const callback = new URL(await loginAndConsent(authorizationUrl.href, CALLBACK, john));
    await first.finishAuth(callback.searchParams.get('code')!);
    const claims = decodeJwt(provider.saved!.access_token);
    assert.equal(claims.aud, mcp.url);
    assert.equal(claims.scope, 'mcp:tools');

    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider }));
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    const said = JSON.parse((result.content as Array<{ text: string }>)[0]!.text) as Record<string, unknown>;
    assert.equal(said.client_id, provider.information.client_id);
    assert.equal(said.sub, claims.sub);
    await client.close();

    const elsewhere = await serviceToken(gh.issuer, opsService);
    const refused = await fetch(mcp.url, { method: 'POST', headers: { authorization: `Bearer ${elsewhere}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    assert.equal(refused.status, 401);
    const refusal = refused.headers.get('www-authenticate') ?? '';
    assert.match(refusal, /error="invalid_token"/);
    assert.match(refusal, /resource_metadata="[^"]+"/);
  });
});
