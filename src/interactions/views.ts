import { Eta } from 'eta';
import type { Context } from 'koa';

import { viewsDir } from '../config/paths.js';

/**
 * No inline script or style anywhere, so nothing injected into a page can run. Scripts only from
 * Gatehouse's own /static files (the passkey buttons), which call back only to Gatehouse; images
 * may be data: URLs (the TOTP QR code).
 */
export const PAGE_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

/** Server-rendered pages from views/. `<%= %>` escapes; templates are compiled once and cached. */
export function createViews() {
  const eta = new Eta({ views: viewsDir, cache: true, autoEscape: true });
  return {
    render(ctx: Context, name: string, data: Record<string, unknown>, status = 200): void {
      ctx.status = status;
      ctx.type = 'text/html; charset=utf-8';
      ctx.set('Content-Security-Policy', PAGE_CSP);
      ctx.set('X-Frame-Options', 'DENY');
      // Not `no-referrer`: under it browsers send `Origin: null` on the pages' own form posts,
      // which the interaction routes' Origin check must refuse. `same-origin` still keeps the
      // interaction URL from leaking to the client or any other site.
      ctx.set('Referrer-Policy', 'same-origin');
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Cache-Control', 'no-store');
      ctx.body = eta.render(name, data);
    },
  };
}

export type Views = ReturnType<typeof createViews>;
