import { Eta } from 'eta';
import type { Context } from 'koa';

import { viewsDir } from '../config/paths.js';
import { createBranding, type Branding } from '../config/branding.js';
import { createMessages, type Messages } from './messages.js';

/**
 * No inline script or style anywhere, so nothing injected into a page can run. Scripts only from
 * Gatehouse's own /static files (the passkey buttons), which call back only to Gatehouse; images
 * may be data: URLs (the TOTP QR code) or come from the configured brands' logo origins.
 */
export function pageCsp(logoOrigins: readonly string[] = []): string {
  return `default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:${logoOrigins.map((o) => ` ${o}`).join('')}; frame-ancestors 'none'; base-uri 'none'`;
}
export const PAGE_CSP = pageCsp();

/** Who a page is for, set by the routes that know (the interaction routes set it from the authorization request). */
export interface PageContext {
  /** The request's `ui_locales`, outranking Accept-Language. */
  uiLocales?: unknown;
  clientId?: string;
  labId?: string;
}

/** Pages served inside oidc-provider (logout, device flow, its errors) carry the request's parameters there. */
function pageContextOf(ctx: Context): PageContext {
  const set = ctx.state.page as PageContext | undefined;
  const oidc = (ctx as { oidc?: { params?: Record<string, unknown>; client?: { clientId: string } } }).oidc;
  return {
    uiLocales: set?.uiLocales ?? oidc?.params?.ui_locales,
    clientId: set?.clientId ?? oidc?.client?.clientId,
    labId: set?.labId,
  };
}

/**
 * Server-rendered pages from views/. `<%= %>` escapes; templates are compiled once and cached.
 * Every page gets `it.t`/`it.rich` in the negotiated language, `it.lang`, and `it.brand`.
 */
export function createViews(deps: { messages?: Messages; branding?: Branding } = {}) {
  const eta = new Eta({ views: viewsDir, cache: true, autoEscape: true });
  const messages = deps.messages ?? createMessages();
  const branding = deps.branding ?? createBranding();
  const csp = pageCsp(branding.logoOrigins);
  return {
    render(ctx: Context, name: string, data: Record<string, unknown>, status = 200): void {
      const page = pageContextOf(ctx);
      const { lang, t, rich } = messages.translatorFor({ uiLocales: page.uiLocales, acceptLanguage: ctx.get('Accept-Language') });
      ctx.status = status;
      ctx.type = 'text/html; charset=utf-8';
      ctx.set('Content-Security-Policy', csp);
      ctx.set('X-Frame-Options', 'DENY');
      // Not `no-referrer`: under it browsers send `Origin: null` on the pages' own form posts,
      // which the interaction routes' Origin check must refuse. `same-origin` still keeps the
      // interaction URL from leaking to the client or any other site.
      ctx.set('Referrer-Policy', 'same-origin');
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Cache-Control', 'no-store');
      ctx.set('Content-Language', lang);
      ctx.vary('Accept-Language');
      ctx.body = eta.render(name, { ...data, lang, t, rich, brand: branding.brandOf(page) ?? {} });
    },
  };
}

export type Views = ReturnType<typeof createViews>;
