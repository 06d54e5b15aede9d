import { readFileSync } from 'node:fs';

import Router from '@koa/router';

import { packageRoot, viewsDir } from '../../config/paths.js';

/**
 * The pages' static files, read once: the stylesheet, the passkey script, and
 * @simplewebauthn/browser's bundle from node_modules (same origin, so no CDN and `script-src 'self'`).
 */
const FILES: Record<string, { path: string; type: string }> = {
  '/static/gatehouse.css': { path: `${viewsDir}/static/gatehouse.css`, type: 'text/css; charset=utf-8' },
  '/static/passkey.js': { path: `${viewsDir}/static/passkey.js`, type: 'text/javascript; charset=utf-8' },
  '/static/webauthn.js': { path: `${packageRoot}node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js`, type: 'text/javascript; charset=utf-8' },
};

/** `generated`: stylesheets built from configuration at start (the brands' accent colours), by route. */
export function createStaticRoutes(generated: Record<string, string> = {}): Router {
  const router = new Router();
  const files = [
    ...Object.entries(FILES).map(([route, file]) => ({ route, type: file.type, body: readFileSync(file.path) })),
    ...Object.entries(generated).map(([route, css]) => ({ route, type: 'text/css; charset=utf-8', body: Buffer.from(css) })),
  ];
  for (const { route, type, body } of files) {
    router.get(route, (ctx) => {
      ctx.type = type;
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.body = body;
    });
  }
  return router;
}
