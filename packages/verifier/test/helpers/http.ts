import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import type { ExpressLikeMiddleware, GatehouseClaims } from '../../src/index.js';

/** Runs Express-style middleware in order on a plain node:http server, as Express would. */
export function nodeServer(chains: Record<string, ExpressLikeMiddleware[]>): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chain = chains[req.url!] ?? [];
    const step = (index: number) => (error?: unknown) => {
      if (error) {
        res.statusCode = 500;
        res.end(JSON.stringify({ error: 'server_error', detail: String(error) }));
      } else if (index < chain.length) {
        chain[index]!(req, res, step(index + 1));
      } else {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify((req as IncomingMessage & { auth?: GatehouseClaims }).auth));
      }
    };
    step(0)();
  });
}

/** The base URL of a server started with listen(0, '127.0.0.1'), once it listens. */
export async function listen(server: Server): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** GETs a URL; the body as JSON, `{}` when empty, `{ raw }` when it is not JSON (Koa's 500 page). */
export async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { raw: text };
  }
  return { status: response.status, headers: response.headers, body };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
