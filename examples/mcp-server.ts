import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createVerifier, expressAuth, expressProtectedResource, protectedResource, type GatehouseClaims } from '@gatehouse/verifier';

/**
 * An MCP server (Streamable HTTP, stateless) protected by Gatehouse: it serves its RFC 9728
 * metadata naming Gatehouse, and answers a request without a valid token for it with 401 and
 * `WWW-Authenticate: Bearer resource_metadata="…"`, from which an MCP client finds Gatehouse,
 * registers and signs the person in. packages/verifier/README.md shows it;
 * test/mcp-authorization.test.ts runs it with the official MCP TypeScript SDK as the client.
 */
export interface McpServerOptions {
  /** Gatehouse's issuer URL. */
  issuer: string;
  port?: number;
  host?: string;
}

export async function startMcpServer(options: McpServerOptions): Promise<{ url: string; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // The MCP endpoint's URL is the resource: registered in Gatehouse under this URI, tokens' `aud`.
  const resource = `http://127.0.0.1:${port}/mcp`;

  const verifier = createVerifier({ issuer: options.issuer, audience: resource });
  const prm = protectedResource({ resource, authorizationServers: [options.issuer], scopesSupported: ['mcp:tools'], resourceName: 'Example MCP server' });
  const serveMetadata = expressProtectedResource(prm);
  const authenticate = expressAuth(verifier, { resourceMetadata: prm.metadataUrl });

  server.on('request', (req, res) => serveMetadata(req, res, () => {
    if (req.url?.split('?')[0] !== '/mcp') {
      res.statusCode = 404;
      return res.end();
    }
    authenticate(req, res, (error) => {
      if (error) return fail(res);
      serveMcp(req, res, (req as { auth?: GatehouseClaims }).auth!).catch(() => fail(res));
    });
  }));
  return { url: resource, server };
}

function fail(res: ServerResponse): void {
  if (res.headersSent) return void res.destroy();
  res.statusCode = 500;
  res.end();
}

/** Stateless: a server and a transport per request, its tools seeing who the token is for. */
async function serveMcp(req: IncomingMessage, res: ServerResponse, auth: GatehouseClaims): Promise<void> {
  const mcp = new McpServer({ name: 'example', version: '1.0.0' });
  mcp.registerTool('whoami', { description: 'Who the token was issued to' }, async () => ({
    content: [{ type: 'text', text: JSON.stringify({ sub: auth.sub, client_id: auth.client_id, scope: auth.scope }) }],
  }));
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => { void transport.close(); void mcp.close(); });
  await mcp.connect(transport);
  await transport.handleRequest(req, res);
}
