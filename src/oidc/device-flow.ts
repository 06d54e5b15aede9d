import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';

import type { DevicePolling } from '../domain/devices/device-polling.js';
import { UserCodeEntryLimitError, type UserCodeEntry } from '../domain/devices/user-code-entry.js';
import type { Views } from '../interactions/views.js';

/** Where a person enters a user code (RFC 8628 `verification_uri`); oidc-provider's default, named once. */
export const DEVICE_PATH = '/device';

export interface DeviceFlowDeps {
  views: Views;
  codeEntry: UserCodeEntry;
  polling: DevicePolling;
}

type DeviceFlowFeature = NonNullable<NonNullable<Configuration['features']>['deviceFlow']>;

/** oidc-provider's re-render errors of the code pages, by name (its classes are not exported): keys of views/locales. */
const MESSAGES: Record<string, string> = {
  NoCodeError: 'device.noCode',
  NotFoundError: 'device.notFound',
  ExpiredError: 'device.expired',
  AlreadyUsedError: 'device.alreadyUsed',
  AbortedError: 'device.aborted',
};

/** oidc-provider's description when the person cancels (and the interaction pages' too). */
const PERSON_ABORTED = 'End-User aborted interaction';

function clientName(ctx: KoaContextWithOIDC): string | undefined {
  const client = ctx.oidc?.client;
  return client ? client.clientName ?? client.clientId : undefined;
}

/** The xsrf value oidc-provider keeps in the browser session for the code forms. */
function xsrfOf(ctx: KoaContextWithOIDC): string {
  return String((ctx.oidc.session?.state as { secret?: string } | undefined)?.secret ?? '');
}

/**
 * The device authorization grant (RFC 8628) with Gatehouse's pages: a person enters the code
 * their device shows, confirms it is theirs, signs in through the usual interaction (login,
 * consent, lab picker) and is told the device is connected. oidc-provider runs the protocol;
 * this module renders its pages in the house style (views/device-*.eta, no inline script, the
 * pages' CSP), limits wrong codes per address, tells devices their polling interval and
 * answers slow_down to a device polling faster.
 */
export function createDeviceFlow(deps: DeviceFlowDeps) {
  const { views } = deps;

  function renderCodePage(ctx: KoaContextWithOIDC, data: { userCode?: string; error?: string; errorParams?: Record<string, string>; limited?: boolean }, status: number): void {
    views.render(ctx as never, 'device-code', { action: DEVICE_PATH, xsrf: data.limited ? '' : xsrfOf(ctx), userCode: data.userCode ?? '', error: data.error, errorParams: data.errorParams, limited: data.limited ?? false }, status);
  }

  const feature: DeviceFlowFeature = {
    enabled: true,
    // oidc-provider's defaults, stated: 8 characters without vowels or look-alikes (~34 bits).
    charset: 'base-20',
    mask: '****-****',
    async userCodeInputSource(ctx, _form, out, err) {
      if (!err) {
        renderCodePage(ctx, {}, 200);
        return;
      }
      const known = MESSAGES[err.name];
      if (err.name === 'NotFoundError') await deps.codeEntry.recordWrongCode(ctx.ip);
      const userCode = (err as { userCode?: string }).userCode;
      if (known) {
        // oidc-provider turns every access_denied of the sign-in into "aborted": say why when it was not the person.
        const refusal = (err.cause as { error_description?: string } | undefined)?.error_description;
        const refused = err.name === 'AbortedError' && refusal && refusal !== PERSON_ABORTED;
        renderCodePage(ctx, refused ? { userCode, error: 'device.refused', errorParams: { reason: refusal } } : { userCode, error: known }, err.name === 'AbortedError' ? 200 : 400);
        return;
      }
      // Anything else (an expired form, a storage outage): the page again, with what went wrong.
      const status = (err as { statusCode?: number }).statusCode ?? 500;
      renderCodePage(ctx, status >= 500 ? { userCode, error: 'device.failed' } : { userCode, error: 'device.formRefused', errorParams: { reason: String(out?.error_description ?? out?.error ?? 'invalid request') } }, status);
    },
    async userCodeConfirmSource(ctx, _form, client, deviceInfo, userCode) {
      const info = deviceInfo as { ip?: unknown; ua?: unknown } | undefined;
      views.render(ctx as never, 'device-confirm', {
        action: DEVICE_PATH,
        xsrf: xsrfOf(ctx),
        userCode,
        clientName: client.clientName ?? client.clientId,
        deviceIp: typeof info?.ip === 'string' ? info.ip : undefined,
        deviceAgent: typeof info?.ua === 'string' ? info.ua.slice(0, 200) : undefined,
      });
    },
    async successSource(ctx) {
      views.render(ctx as never, 'device-done', { clientName: clientName(ctx) });
    },
  };

  /**
   * Provider middleware around oidc-provider's device routes:
   * - GET /device?user_code=…: the code page, filled in;
   * - POST /device: an address that has entered too many wrong codes gets the code page with a
   *   429 before any code is looked up;
   * - the device authorization response gains `interval` (oidc-provider omits it), and starts the pace;
   * - a token poll still pending that came sooner than the interval is answered slow_down
   *   (oidc-provider defines the error but never sends it).
   */
  async function middleware(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    // A person's pages: what fails outside oidc-provider's own handling (the store, here or in
    // the page hooks) is shown as the HTML error page too.
    if (ctx.path === DEVICE_PATH || (ctx.path.startsWith(`${DEVICE_PATH}/`) && ctx.path !== `${DEVICE_PATH}/auth`)) ctx.state.servesPeople = true;
    if (ctx.method === 'POST' && ctx.path === DEVICE_PATH) {
      try {
        await deps.codeEntry.admit(ctx.ip);
      } catch (error) {
        if (!(error instanceof UserCodeEntryLimitError)) throw error;
        ctx.set('Retry-After', String(error.retryAfterSeconds));
        renderCodePage(ctx, { limited: true, error: 'device.limited' }, 429);
        return;
      }
      try {
        await next();
      } finally {
        await deps.codeEntry.release(ctx.ip);
      }
      return;
    }
    await next();
    const route = ctx.oidc?.route;
    if (route === 'code_verification' && ctx.method === 'GET' && ctx.status === 200 && typeof ctx.oidc.params?.user_code === 'string') {
      // verification_uri_complete: oidc-provider answers with a self-submitting form (an inline
      // script); the code page, filled in, does the same with one click and the pages' CSP.
      renderCodePage(ctx, { userCode: ctx.oidc.params.user_code }, 200);
      return;
    }
    if (route === 'device_authorization' && ctx.status === 200) {
      const body = ctx.body as { device_code?: string; interval?: number };
      if (body.device_code) {
        body.interval = deps.polling.intervalSeconds;
        await deps.polling.started(body.device_code);
      }
      return;
    }
    if (route === 'token' && ctx.status === 400 && (ctx.body as { error?: string } | undefined)?.error === 'authorization_pending') {
      const deviceCode = ctx.oidc.params?.device_code;
      if (typeof deviceCode === 'string' && (await deps.polling.tooSoon(deviceCode))) throw new errors.SlowDown();
    }
  }

  return { feature, middleware };
}

export type DeviceFlow = ReturnType<typeof createDeviceFlow>;
