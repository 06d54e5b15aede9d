import Router from '@koa/router';
import type { Context } from 'koa';

import { ValidationError } from '../domain/errors.js';
import { EmailLinkError, type EmailFlows } from '../domain/email/email-flows.js';
import { EMAIL_VERIFICATION_PATH, PASSWORD_RESET_LINK_PATH, PASSWORD_RESET_PATH } from '../domain/email/email-link-paths.js';
import { MailRateLimitError } from '../domain/email/mail-rate-limit.js';
import { resetCompleteForm, resetLinkQuery, resetRequestForm, verifyEmailForm } from '../domain/schemas/account-schemas.js';
import { servesPeople } from '../http/middleware/koa-errors.js';
import type { createAnonymousCsrf } from './page-forms.js';
import { checkPageInput, readPageForm } from './page-forms.js';
import { englishText } from './messages.js';
import type { Views } from './views.js';

export interface EmailRoutesDeps {
  email: EmailFlows;
  views: Views;
  csrf: ReturnType<typeof createAnonymousCsrf>;
  issuerOrigin: string;
}

/** What the person is told after asking for a reset, whatever happened: no account enumeration. */
export const RESET_REQUESTED = englishText('reset.requested');

/** Headings, messages and link texts below are keys of views/locales. */
const LINK_UNUSABLE = { heading: 'reset.unusableTitle', message: 'reset.unusable' };

/**
 * The pages behind Gatehouse's mails: asking for a password reset, choosing the new password from
 * the link, and confirming an address. Opening a link (GET) only shows a form: mail scanners open
 * links too, so only the person's POST spends it. Mounted only when SMTP is configured.
 */
export function createEmailRoutes(deps: EmailRoutesDeps): Router {
  const router = new Router();
  router.use(servesPeople());
  const { views, csrf } = deps;
  const origin = (ctx: Context) => ({ actor: 'anonymous', requestId: ctx.state.requestId as string | undefined, ip: ctx.ip });
  const notice = (ctx: Context, wording: { heading: string; message: string; params?: Record<string, string>; link?: { href: string; text: string } }, status = 200) => views.render(ctx, 'notice', wording, status);

  router.get(PASSWORD_RESET_PATH, (ctx) => {
    views.render(ctx, 'password-reset-request', { csrf: csrf.tokenFor(ctx), email: '' });
  });

  router.post(PASSWORD_RESET_PATH, async (ctx) => {
    const form = await readPageForm<{ csrf: string; email: string }>(ctx, resetRequestForm, deps.issuerOrigin);
    csrf.verify(ctx, form.csrf);
    try {
      await deps.email.requestPasswordReset(form.email.trim(), origin(ctx));
    } catch (error) {
      if (!(error instanceof MailRateLimitError)) throw error;
      ctx.set('Retry-After', String(error.retryAfterSeconds));
      notice(ctx, { heading: 'reset.tooManyTitle', message: 'reset.tooMany' }, 429);
      return;
    }
    notice(ctx, { heading: 'reset.requestedTitle', message: 'reset.requested' });
  });

  router.get(PASSWORD_RESET_LINK_PATH, async (ctx) => {
    const { token } = checkPageInput<{ token: string }>(resetLinkQuery, { ...ctx.query }, 'query');
    if (!(await deps.email.resetLinkUsable(token))) return notice(ctx, { ...LINK_UNUSABLE, link: { href: PASSWORD_RESET_PATH, text: 'reset.askAgain' } }, 400);
    views.render(ctx, 'password-reset-form', { csrf: csrf.tokenFor(ctx), token });
  });

  router.post(PASSWORD_RESET_LINK_PATH, async (ctx) => {
    const form = await readPageForm<{ csrf: string; token: string; password: string; confirm: string }>(ctx, resetCompleteForm, deps.issuerOrigin);
    csrf.verify(ctx, form.csrf);
    const again = (error: string, errorParams?: Record<string, string>) => views.render(ctx, 'password-reset-form', { csrf: csrf.tokenFor(ctx), token: form.token, error, errorParams }, 400);
    if (form.password !== form.confirm) return again('reset.mismatch');
    try {
      await deps.email.completePasswordReset(form.token, form.password, origin(ctx));
    } catch (error) {
      if (error instanceof ValidationError) return again('reset.invalidPassword', { detail: error.fields?.[0]?.detail ?? 'is not accepted' });
      if (error instanceof EmailLinkError) return notice(ctx, { ...LINK_UNUSABLE, link: { href: PASSWORD_RESET_PATH, text: 'reset.askAgain' } }, 400);
      throw error;
    }
    notice(ctx, {
      heading: 'reset.doneTitle',
      message: 'reset.done',
      link: { href: '/account', text: 'common.goToAccount' },
    });
  });

  router.get(EMAIL_VERIFICATION_PATH, async (ctx) => {
    const { token } = checkPageInput<{ token: string }>(resetLinkQuery, { ...ctx.query }, 'query');
    if (!(await deps.email.verificationLinkUsable(token))) return notice(ctx, LINK_UNUSABLE, 400);
    views.render(ctx, 'email-verify', { csrf: csrf.tokenFor(ctx), token });
  });

  router.post(EMAIL_VERIFICATION_PATH, async (ctx) => {
    const form = await readPageForm<{ csrf: string; token: string }>(ctx, verifyEmailForm, deps.issuerOrigin);
    csrf.verify(ctx, form.csrf);
    try {
      const { email } = await deps.email.verifyEmail(form.token, origin(ctx));
      notice(ctx, { heading: 'verify.doneTitle', message: 'verify.done', params: { email }, link: { href: '/account', text: 'common.goToAccount' } });
    } catch (error) {
      if (error instanceof EmailLinkError) return notice(ctx, LINK_UNUSABLE, 400);
      throw error;
    }
  });

  return router;
}
