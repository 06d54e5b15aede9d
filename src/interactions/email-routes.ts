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
import type { Views } from './views.js';

export interface EmailRoutesDeps {
  email: EmailFlows;
  views: Views;
  csrf: ReturnType<typeof createAnonymousCsrf>;
  issuerOrigin: string;
}

/** What the person is told after asking for a reset, whatever happened: no account enumeration. */
export const RESET_REQUESTED = 'If an account has this address, we sent it a link to choose a new password. It works once and expires soon. Check your mail, including spam.';

const LINK_UNUSABLE = { heading: 'This link cannot be used', message: new EmailLinkError().message };

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
  const notice = (ctx: Context, wording: { heading: string; message: string; link?: { href: string; text: string } }, status = 200) => views.render(ctx, 'notice', wording, status);

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
      notice(ctx, { heading: 'Too many requests', message: 'Too many reset links were asked for. Wait a while before asking again.' }, 429);
      return;
    }
    notice(ctx, { heading: 'Check your mail', message: RESET_REQUESTED });
  });

  router.get(PASSWORD_RESET_LINK_PATH, async (ctx) => {
    const { token } = checkPageInput<{ token: string }>(resetLinkQuery, { ...ctx.query }, 'query');
    if (!(await deps.email.resetLinkUsable(token))) return notice(ctx, { ...LINK_UNUSABLE, link: { href: PASSWORD_RESET_PATH, text: 'Ask for a new link' } }, 400);
    views.render(ctx, 'password-reset-form', { csrf: csrf.tokenFor(ctx), token });
  });

  router.post(PASSWORD_RESET_LINK_PATH, async (ctx) => {
    const form = await readPageForm<{ csrf: string; token: string; password: string; confirm: string }>(ctx, resetCompleteForm, deps.issuerOrigin);
    csrf.verify(ctx, form.csrf);
    const again = (error: string) => views.render(ctx, 'password-reset-form', { csrf: csrf.tokenFor(ctx), token: form.token, error }, 400);
    if (form.password !== form.confirm) return again('The two passwords are not the same.');
    try {
      await deps.email.completePasswordReset(form.token, form.password, origin(ctx));
    } catch (error) {
      if (error instanceof ValidationError) return again(`The new password ${error.fields?.[0]?.detail ?? 'is not accepted'}.`);
      if (error instanceof EmailLinkError) return notice(ctx, { ...LINK_UNUSABLE, link: { href: PASSWORD_RESET_PATH, text: 'Ask for a new link' } }, 400);
      throw error;
    }
    notice(ctx, {
      heading: 'Your password was changed',
      message: 'Sign in with your new password. Every session and application signed in with the old one was signed out.',
      link: { href: '/account', text: 'Go to your account' },
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
      notice(ctx, { heading: 'Address confirmed', message: `${email} is now the confirmed address of your account.`, link: { href: '/account', text: 'Go to your account' } });
    } catch (error) {
      if (error instanceof EmailLinkError) return notice(ctx, LINK_UNUSABLE, 400);
      throw error;
    }
  });

  return router;
}
