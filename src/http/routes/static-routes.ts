import { readFileSync } from 'node:fs';

import Router from '@koa/router';

import { viewsDir } from '../../config/paths.js';

/** The pages' one stylesheet, read once. */
export function createStaticRoutes(): Router {
  const css = readFileSync(`${viewsDir}/static/gatehouse.css`);
  const router = new Router();
  router.get('/static/gatehouse.css', (ctx) => {
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = css;
  });
  return router;
}
