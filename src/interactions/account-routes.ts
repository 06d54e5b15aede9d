import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import { errors } from 'oidc-provider';

import type { AccountSelfService } from '../domain/account/account-self-service.js';
import { WrongPasswordError } from '../domain/account/account-self-service.js';
import { sameSecret, type AccountSession, type AccountSessions } from '../domain/account/account-sessions.js';
import { ACCOUNT_CALLBACK_PATH } from '../domain/account/account-client.js';
import { ForbiddenError, ValidationError } from '../domain/errors.js';
import { MailRateLimitError } from '../domain/email/mail-rate-limit.js';
import { PASSWORD_RESET_PATH } from '../domain/email/email-link-paths.js';
import {
  accountCallbackQuery, csrfOnlyForm, emailChangeForm, passwordChangeForm, profileForm,
} from '../domain/schemas/account-schemas.js';
import { servesPeople } from '../http/middleware/koa-errors.js';
import type { AccountSignIn } from './account-sign-in.js';
import { checkPageInput, readPageForm, pageCookieOptions } from './page-forms.js';
import type { Views } from './views.js';

export const ACCOUNT_PATH = '/account';
const SESSION_COOKIE = 'gatehouse.account';
const SIGN_IN_COOKIE = 'gatehouse.account-sign-in';

/** The messages (keys of views/locales) a finished action redirects with (`?done=`): a fixed list, nothing from the request is echoed. */
const DONE: Record<string, string> = {
  profile: 'account.done.profile',
  email: 'account.done.email',
  verification: 'account.done.verification',
  password: 'account.done.password',
  'password-others': 'account.done.password-others',
  session: 'account.done.session',
  others: 'account.done.others',
  application: 'account.done.application',
};

/** A message beside a form field: a key of views/locales and its values. */
interface FieldMessage { key: string; params?: Record<string, string> }

/** The signed-in person, set on `ctx.state.account` by `signedIn`. */
export interface SignedInAccount extends AccountSession { handle: string }

/**
 * What another part of the account page (the second factors) needs to add its own routes: the
 * same sign-in check, and the same form check (Origin, schema, CSRF token of the page's session).
 */
export interface AccountPageGuard {
  signedIn: Middleware;
  /** `json`: a JSON post from the page's own script (the passkey button), with the same checks. */
  readForm<T extends { csrf: string }>(ctx: Context, schema: object, type?: 'form' | 'json'): Promise<T>;
  account(ctx: Context): SignedInAccount;
  origin(ctx: Context): { actor: string; requestId?: string; ip: string };
}

export interface AccountRoutesDeps {
  account: AccountSelfService;
  sessions: AccountSessions;
  signIn: AccountSignIn;
  views: Views;
  issuerOrigin: string;
  /** Whether mail is configured: then the address can be changed and verified here. */
  mailEnabled: boolean;
  /**
   * The "Second factors" section (views/account-second-factors.eta): what it shows, and its
   * routes under /account, added by the second-factor work through the same guard.
   */
  secondFactors?: {
    view(userId: string): Promise<Record<string, unknown>>;
    routes(router: Router, guard: AccountPageGuard): void;
    /** Its messages for `?done=` (a fixed list, like the page's own). */
    done?: Record<string, string>;
  };
}

/**
 * The account page (/account): a person's profile, address, password, sessions and connected
 * applications. It signs in through Gatehouse like any application (see account-sign-in.ts) and
 * keeps its own short session, which ends with the Gatehouse session it came from. Forms carry the
 * session's CSRF token and are refused cross-origin; pages carry the login pages' CSP.
 */
export function createAccountRoutes(deps: AccountRoutesDeps): Router {
  const doneMessages: Record<string, string> = { ...DONE, ...deps.secondFactors?.done };
  const router = new Router({ prefix: ACCOUNT_PATH });
  router.use(servesPeople());
  const { views } = deps;
  const cookie = (ctx: Context) => ({ ...pageCookieOptions(ctx), path: ACCOUNT_PATH });

  async function startSignIn(ctx: Context): Promise<void> {
    const pending = await deps.sessions.beginSignIn();
    ctx.cookies.set(SIGN_IN_COOKIE, pending.handle, { ...cookie(ctx), maxAge: 600_000 });
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(deps.signIn.authorizationUrl(pending));
  }

  /** The account session, if it is still alive and so is the Gatehouse session it came from. */
  async function current(ctx: Context): Promise<SignedInAccount | undefined> {
    const handle = ctx.cookies.get(SESSION_COOKIE);
    const session = await deps.sessions.find(handle);
    if (!session) return undefined;
    if (!(await deps.account.sessionIsLive(session.userId, session.sessionUid))) {
      await deps.sessions.end(handle);
      return undefined;
    }
    return { ...session, handle: handle! };
  }

  const signedIn: Middleware = async (ctx, next: Next) => {
    const account = await current(ctx);
    if (!account) {
      // A form posted after the session ended cannot be replayed after a sign-in: start over at the page.
      if (ctx.method === 'GET' && ctx.path === ACCOUNT_PATH) return startSignIn(ctx);
      if (ctx.method === 'GET') return ctx.redirect(ACCOUNT_PATH);
      throw new errors.SessionNotFound('the account page session has ended');
    }
    ctx.state.account = account;
    return next();
  };

  const guard: AccountPageGuard = {
    signedIn,
    account: (ctx) => ctx.state.account as SignedInAccount,
    origin: (ctx) => ({ actor: `user:${(ctx.state.account as SignedInAccount).userId}`, requestId: ctx.state.requestId as string | undefined, ip: ctx.ip }),
    async readForm<T extends { csrf: string }>(ctx: Context, schema: object, type: 'form' | 'json' = 'form'): Promise<T> {
      const form = await readPageForm<T>(ctx, schema, deps.issuerOrigin, type);
      if (!sameSecret(form.csrf, guard.account(ctx).csrf)) throw new ForbiddenError('the form has expired; reload the account page and try again');
      return form;
    },
  };

  async function renderPage(ctx: Context, extra: { errors?: Record<string, FieldMessage>; done?: string } = {}, status = 200): Promise<void> {
    const account = guard.account(ctx);
    const overview = await deps.account.overview(account.userId, account.sessionUid);
    views.render(ctx, 'account', {
      csrf: account.csrf,
      ...overview,
      mailEnabled: deps.mailEnabled,
      resetPath: PASSWORD_RESET_PATH,
      done: extra.done ? doneMessages[extra.done] : undefined,
      errors: extra.errors ?? {},
      secondFactors: deps.secondFactors ? await deps.secondFactors.view(account.userId) : undefined,
    }, status);
  }
  const finished = (ctx: Context, done: keyof typeof DONE) => {
    ctx.status = 303;
    ctx.redirect(`${ACCOUNT_PATH}?done=${done}`);
  };

  router.get('/', signedIn, async (ctx) => {
    const done = typeof ctx.query.done === 'string' && Object.hasOwn(doneMessages, ctx.query.done) ? ctx.query.done : undefined;
    await renderPage(ctx, { done });
  });

  router.get(ACCOUNT_CALLBACK_PATH.slice(ACCOUNT_PATH.length), async (ctx) => {
    const query = checkPageInput<{ code?: string; state: string; error?: string }>(accountCallbackQuery, { ...ctx.query }, 'query');
    const pending = await deps.sessions.finishSignIn(ctx.cookies.get(SIGN_IN_COOKIE), query.state);
    ctx.cookies.set(SIGN_IN_COOKIE, null, cookie(ctx));
    if (!pending) throw new errors.SessionNotFound('the account sign-in expired or was already used');
    if (query.error || !query.code) {
      views.render(ctx, 'notice', { heading: 'account.notSignedInTitle', message: 'account.notSignedIn', link: { href: ACCOUNT_PATH, text: 'account.tryAgain' } }, 400);
      return;
    }
    const { userId, sessionUid } = await deps.signIn.complete(query.code, pending);
    const { handle } = await deps.sessions.start(userId, sessionUid);
    ctx.cookies.set(SESSION_COOKIE, handle, cookie(ctx));
    ctx.redirect(ACCOUNT_PATH);
  });

  router.post('/profile', signedIn, async (ctx) => {
    const form = await guard.readForm<{ csrf: string; givenName?: string; familyName?: string }>(ctx, profileForm);
    await deps.account.updateName(guard.origin(ctx), guard.account(ctx).userId, form);
    finished(ctx, 'profile');
  });

  /** Mail-limit and validation refusals re-render the page with the message beside the form. */
  async function orShowError(ctx: Context, field: string, work: () => Promise<void>): Promise<boolean> {
    try {
      await work();
      return true;
    } catch (error) {
      if (error instanceof ValidationError) {
        await renderPage(ctx, { errors: { [field]: { key: field === 'email' ? 'account.invalidAddress' : 'account.invalidNewPassword', params: { detail: error.fields?.[0]?.detail ?? 'is not accepted' } } } }, 400);
      } else if (error instanceof WrongPasswordError) await renderPage(ctx, { errors: { [field]: { key: 'account.wrongPassword' } } }, 403);
      else if (error instanceof MailRateLimitError) {
        ctx.set('Retry-After', String(error.retryAfterSeconds));
        await renderPage(ctx, { errors: { [field]: { key: 'account.tooManyEmails' } } }, 429);
      } else throw error;
      return false;
    }
  }

  if (deps.mailEnabled) {
    router.post('/email', signedIn, async (ctx) => {
      const form = await guard.readForm<{ csrf: string; email: string }>(ctx, emailChangeForm);
      if (await orShowError(ctx, 'email', () => deps.account.requestEmailChange(guard.origin(ctx), guard.account(ctx).userId, form.email.trim()))) finished(ctx, 'email');
    });
    router.post('/email/resend', signedIn, async (ctx) => {
      await guard.readForm(ctx, csrfOnlyForm);
      if (await orShowError(ctx, 'email', () => deps.account.resendVerification(guard.origin(ctx), guard.account(ctx).userId))) finished(ctx, 'verification');
    });
  }

  router.post('/password', signedIn, async (ctx) => {
    const form = await guard.readForm<{ csrf: string; current: string; password: string; confirm: string; endOthers?: string }>(ctx, passwordChangeForm);
    if (form.password !== form.confirm) return renderPage(ctx, { errors: { password: { key: 'account.mismatch' } } }, 400);
    const account = guard.account(ctx);
    const endOthers = form.endOthers !== undefined;
    const changed = await orShowError(ctx, 'password', () => deps.account.changePassword(guard.origin(ctx), account.userId, {
      current: form.current, next: form.password, endOthers, keepSessionUid: account.sessionUid,
    }));
    if (changed) finished(ctx, endOthers ? 'password-others' : 'password');
  });

  router.post('/sessions/others/end', signedIn, async (ctx) => {
    await guard.readForm(ctx, csrfOnlyForm);
    const account = guard.account(ctx);
    await deps.account.endOtherSessions(guard.origin(ctx), account.userId, account.sessionUid);
    finished(ctx, 'others');
  });

  router.post('/sessions/:id/end', signedIn, async (ctx) => {
    await guard.readForm(ctx, csrfOnlyForm);
    const account = guard.account(ctx);
    await deps.account.endSession(guard.origin(ctx), account.userId, String(ctx.params.id));
    if (ctx.params.id === account.sessionUid) return signedOut(ctx, account);
    finished(ctx, 'session');
  });

  router.post('/applications/:id/revoke', signedIn, async (ctx) => {
    await guard.readForm(ctx, csrfOnlyForm);
    await deps.account.revokeApplication(guard.origin(ctx), guard.account(ctx).userId, String(ctx.params.id));
    finished(ctx, 'application');
  });

  async function signedOut(ctx: Context, account: SignedInAccount): Promise<void> {
    await deps.sessions.end(account.handle);
    ctx.cookies.set(SESSION_COOKIE, null, cookie(ctx));
    views.render(ctx, 'notice', { heading: 'account.signedOutTitle', message: 'account.signedOut', link: { href: ACCOUNT_PATH, text: 'account.signInAgain' } });
  }

  /** Signs this browser out of Gatehouse: the account page's session and the Gatehouse session behind it. */
  router.post('/sign-out', signedIn, async (ctx) => {
    await guard.readForm(ctx, csrfOnlyForm);
    const account = guard.account(ctx);
    await deps.account.endSession(guard.origin(ctx), account.userId, account.sessionUid);
    await signedOut(ctx, account);
  });

  deps.secondFactors?.routes(router, guard);
  return router;
}
