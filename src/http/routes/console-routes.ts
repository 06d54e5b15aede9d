import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

import Router from '@koa/router';
import type { Context } from 'koa';

import { consoleDir } from '../../config/paths.js';
import { CONSOLE_CLIENT_ID, CONSOLE_PATH, CONSOLE_SCOPES } from '../../domain/console/console-client.js';

/**
 * The console's policy: its own scripts and styles only (no inline script or style, no
 * `style` attributes), calls to this origin only (the API and the token endpoint), never framed.
 */
export const CONSOLE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' data:",
  "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

/** Every file under `dir` whose extension we serve, by its path relative to `dir` with `/`. */
function filesUnder(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const dot = entry.name.lastIndexOf('.');
    if (!entry.isFile() || dot < 0 || !TYPES[entry.name.slice(dot)] || entry.name.endsWith('.d.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    found.set(relative(dir, path).split(sep).join('/'), path);
  }
  return found;
}

const attribute = (text: string) => text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

function secure(ctx: Context): void {
  ctx.set('Content-Security-Policy', CONSOLE_CSP);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('X-Frame-Options', 'DENY');
  // The authorization code arrives in the page's URL: no other site may see it as a referrer.
  ctx.set('Referrer-Policy', 'same-origin');
}

/**
 * /admin: the console's static files, read once at start (compiled scripts from
 * packages/console/dist, the page and stylesheet from packages/console/public). Every other
 * path under /admin/ answers the page itself, so the console's own routes (/admin/users/…) load
 * on a reload; the console then reads the path.
 */
export function createConsoleRoutes(options: { issuer: string; apiResource: string }): Router {
  const base = `${new URL(options.issuer).pathname.replace(/\/$/, '')}${CONSOLE_PATH}`;
  const values: Record<string, string> = { base, issuer: options.issuer, clientId: CONSOLE_CLIENT_ID, apiResource: options.apiResource, scopes: CONSOLE_SCOPES.join(' ') };
  // The page learns where it runs from <meta> tags (no inline script under this CSP).
  const page = Buffer.from(readFileSync(join(consoleDir, 'public/index.html'), 'utf8')
    .replace(/\{\{(\w+)\}\}/g, (_, key: string) => attribute(values[key] ?? '')));
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const [name, path] of [...filesUnder(join(consoleDir, 'dist')), ...filesUnder(join(consoleDir, 'public'))]) {
    assets.set(name, { type: TYPES[name.slice(name.lastIndexOf('.'))]!, body: readFileSync(path) });
  }

  const router = new Router();
  // One handler for /admin and everything under it: the router matches `/admin` with or without its slash.
  router.get(['/admin', '/admin/{*rest}'], (ctx) => {
    if (!ctx.path.startsWith(CONSOLE_PATH)) {
      ctx.status = 308;
      ctx.redirect(`${CONSOLE_PATH}${ctx.querystring ? `?${ctx.querystring}` : ''}`);
      return;
    }
    secure(ctx);
    const rest = ctx.path.slice(CONSOLE_PATH.length);
    const asset = assets.get(rest);
    if (asset) {
      ctx.type = asset.type;
      // Revalidated on each load: a new release is picked up at once (no build step fingerprints names).
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = asset.body;
    } else if (/\.[a-z0-9]+$/i.test(rest)) {
      ctx.status = 404;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = 'Not found';
    } else {
      ctx.type = 'text/html; charset=utf-8';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = page;
    }
  });
  return router;
}
