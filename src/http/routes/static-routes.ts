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

export function createStaticRoutes(): Router {
  const router = new Router();
  for (const [route, file] of Object.entries(FILES)) {
    const body = readFileSync(file.path);
    router.get(route, (ctx) => {
      ctx.type = file.type;
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.body = body;
    });
  }
  return router;
}
