import { createServer, type Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';

import Router from '@koa/router';

import type { Metrics } from './create-metrics.js';

/**
 * /metrics on the public port, for a scraper presenting the configured bearer token; anyone else
 * gets the 404 an unknown path gets (the endpoint does not announce itself).
 */
export function createMetricsRoutes(metrics: Metrics, token: string | undefined): Router {
  const router = new Router();
  if (!token) return router;
  const expected = Buffer.from(`Bearer ${token}`);
  router.get('/metrics', async (ctx, next) => {
    const presented = Buffer.from(ctx.get('authorization'));
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return next();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = metrics.contentType;
    ctx.body = await metrics.render();
  });
  return router;
}

/** /metrics alone, on a port of its own (kept off the public interface by default). */
export async function startMetricsServer(metrics: Pick<Metrics, 'render' | 'contentType'>, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
