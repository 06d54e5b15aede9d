import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { decodeJwt } from 'jose';
import type { Browser } from 'playwright-core';

import { startMcpServer } from '../examples/mcp-server.js';
import { launchChromium } from './helpers/browser.js';
import { freePort, john, mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService, serviceToken } from './helpers/management-api.js';
import { selfSignedCertificate, startHttpsServer } from './helpers/tls.js';

/**
 * An MCP client application's side of the SDK's auth, as a desktop MCP client does it: a loopback
 * callback server, and the person's part in a real browser (headless Chromium) opened at the URL
 * the SDK hands over. `clientMetadataUrl` makes the SDK use a Client ID Metadata Document instead
 * of registering, where Gatehouse advertises them.
 */
class BrowserProvider implements OAuthClientProvider {
  information?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier?: string;
  authorizationUrl?: URL;
  /** The person's sign-in in the browser, started by `redirectToAuthorization`. */
  signIn?: Promise<void>;

  constructor(private readonly browser: Browser, private readonly callback: Callback, readonly clientMetadataUrl?: string) {}

  get redirectUrl() { return this.callback.url; }
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'MCP SDK test client', redirect_uris: [this.callback.url], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() { return this.information; }
  saveClientInformation(information: OAuthClientInformationMixed) { this.information = information; }
  tokens() { return this.saved; }
  saveTokens(tokens: OAuthTokens) { this.saved = tokens; }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
    this.signIn = signInInBrowser(this.browser, url, john);
  }
  saveCodeVerifier(verifier: string) { this.verifier = verifier; }
  codeVerifier() { return this.verifier!; }
}

/** The person: signs in on Gatehouse's login page and allows the client on the consent page. */
async function signInInBrowser(browser: Browser, url: URL, person: { username: string; password: string }): Promise<void> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url.href);
    assert.equal(await page.title(), 'Sign in · Gatehouse');
    await page.getByLabel('Username or email').fill(person.username);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access' }).waitFor();
    await page.getByText('MCP SDK test client').first().waitFor();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByText('You may close this window').waitFor();
  } finally {
    await context.close();
  }
}

/** The MCP client's loopback redirect URI: a real listener that takes the code the browser brings. */
interface Callback { url: string; code(): Promise<URL>; close(): void }

async function startCallback(): Promise<Callback> {
  let arrived!: (url: URL) => void;
  let next = new Promise<URL>((resolve) => { arrived = resolve; });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/mcp-callback') return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Signed in</title><p>You may close this window.</p>');
    arrived(url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp-callback`,
    code: async () => {
      const url = await next;
      next = new Promise<URL>((resolve) => { arrived = resolve; });
      return url;
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe(`the official MCP TypeScript SDK against an MCP server protected by @gatehouse/verifier, the person in Chromium (${mode})`, () => {
  const tls = selfSignedCertificate();
  let gh: TestGatehouse;
  let mcp: { url: string; server: Server };
  let browser: Browser;
  let callback: Callback;
  let documents: Awaited<ReturnType<typeof startHttpsServer>>;

  before(async () => {
    callback = await startCallback();
    // The MCP client's metadata document, on an https site of its own (behind a test CA).
    documents = await startHttpsServer(tls, (req, res) => {
      if (req.url !== '/mcp-client.json') return res.writeHead(404).end();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ client_id: `${documents.origin}/mcp-client.json`, client_name: 'MCP SDK test client', redirect_uris: [callback.url], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' }));
    });
    // Gatehouse's address first: the MCP server names it, and Gatehouse must know the MCP resource.
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    mcp = await startMcpServer({ issuer });
    gh = await startTestGatehouse({
      PORT: String(port), ISSUER: issuer, GATEHOUSE_DYNAMIC_REGISTRATION: 'open', GATEHOUSE_DYNAMIC_CLIENT_RESOURCES: mcp.url,
      GATEHOUSE_CLIENT_ID_METADATA_DOCUMENTS: 'true', GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true', GATEHOUSE_OUTBOUND_CA_FILE: tls.certFile,
    });
    await gh.gatehouse.services.resources.create({ actor: 'test' }, { uri: mcp.url, name: 'Example MCP server', scopes: ['mcp:tools'] });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    mcp?.server.closeAllConnections();
    mcp?.server.close();
    documents?.close();
    callback?.close();
    await gh?.stop();
    tls.dispose();
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

  /**
   * The SDK's whole auth from the MCP server's 401: discovery (RFC 9728, then RFC 8414), the
   * client's identity (its choice), code + PKCE + resource with the person in Chromium, the token
   * request, then a tool call. Answers the provider and the token's claims.
   */
  async function signInThroughSdk(provider: BrowserProvider) {
    const first = new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider });
    await assert.rejects(new Client({ name: 'test', version: '1.0.0' }).connect(first), UnauthorizedError);
    const authorizationUrl = provider.authorizationUrl!;
    assert.equal(authorizationUrl.origin, gh.issuer);
    assert.equal(authorizationUrl.searchParams.get('resource'), mcp.url);
    assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
    const [arrived] = await Promise.all([callback.code(), provider.signIn]);
    assert.equal(arrived.searchParams.get('iss'), gh.issuer);
    await first.finishAuth(arrived.searchParams.get('code')!);
    const claims = decodeJwt(provider.saved!.access_token);
    assert.equal(claims.aud, mcp.url);
    assert.equal(claims.scope, 'mcp:tools');

    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider }));
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    const said = JSON.parse((result.content as Array<{ text: string }>)[0]!.text) as Record<string, unknown>;
    assert.equal(said.client_id, provider.information!.client_id);
    assert.equal(said.sub, claims.sub);
    await client.close();
    return claims;
  }

  it('discovers Gatehouse from the 401, registers dynamically, signs the person in in Chromium with code + PKCE + resource, and calls a tool; a token for another resource is refused', async () => {
    const provider = new BrowserProvider(browser, callback);
    await signInThroughSdk(provider);
    const registered = await api(gh.issuer, await serviceToken(gh.issuer, opsService), 'GET', `/clients/${provider.information!.client_id}`);
    assert.equal(registered.body.registeredDynamically, true);

    const elsewhere = await serviceToken(gh.issuer, opsService);
    const refused = await fetch(mcp.url, { method: 'POST', headers: { authorization: `Bearer ${elsewhere}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    assert.equal(refused.status, 401);
    const refusal = refused.headers.get('www-authenticate') ?? '';
    assert.match(refusal, /error="invalid_token"/);
    assert.match(refusal, /resource_metadata="[^"]+"/);
  });

  it('identifies itself by a Client ID Metadata Document where Gatehouse advertises them (no registration), and calls a tool', async () => {
    const documentUrl = `${documents.origin}/mcp-client.json`;
    const provider = new BrowserProvider(browser, callback, documentUrl);
    const claims = await signInThroughSdk(provider);
    assert.equal(provider.information!.client_id, documentUrl);
    assert.equal(claims.client_id, documentUrl);
    const listed = await api(gh.issuer, await serviceToken(gh.issuer, opsService), 'GET', '/clients');
    const ids = (listed.body.items as Array<{ clientId: string }>).map((c) => c.clientId);
    assert.ok(ids.length > 0 && !ids.includes(documentUrl), 'a metadata-document client is not stored');
  });
});
