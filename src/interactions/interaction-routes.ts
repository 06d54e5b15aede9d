import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';

import { InvalidRequestError } from '../http/problems/invalid-request-error.js';
import { findUnstorable } from '../lib/storable-text.js';
import type { Login } from '../domain/users/login.js';
import type { Logger } from '../logger.js';
import { LabAccessDenied, type LabAccess } from '../domain/tenancy/lab-access.js';
import { SELECT_LAB_PROMPT } from '../oidc/lab-policy.js';
import { rememberRequestAccount } from '../oidc/request-account.js';
import type { createCsrf } from './csrf.js';
import { finishInteraction } from './interaction-result.js';
import { englishText } from './messages.js';
import type { PageContext, Views } from './views.js';
import { servesPeople } from '../http/middleware/koa-errors.js';
import { createSecondFactorRoutes, type SecondFactorDeps } from './second-factor-routes.js';

export interface InteractionDeps {
  provider: () => Provider;
  /** The sign-in use case: authentication, lockout and audit. */
  login: Login;
  csrf: ReturnType<typeof createCsrf>;
  views: Views;
  log: Logger;
  issuerOrigin: string;
  displayName: (accountId: string) => Promise<string>;
  labs: LabAccess;
  /** Remembers where a new grant was consented to (shown in the user's sessions/devices list). */
  /** Where "Forgot your password?" leads; undefined without mail (then there is no such link). */
  passwordResetPath?: string;
  recordGrantOrigin?: (origin: { grantId: string; accountId: string; clientId: string; ip: string; userAgent?: string }) => Promise<void>;
  /** Second factors, the policy requiring them, and sign-ins between their two steps. */
  factors: Omit<SecondFactorDeps, 'views' | 'log'>;
}

/** One message for unknown user, wrong password and blocked user: no account enumeration. */
export const LOGIN_FAILED = englishText('login.failed');

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface InteractionRoutes {
  router: Router;
  /**
   * For oidc-provider (`provider.use`): answers an authorization request that starts a sign-in
   * with the login page itself instead of a 303 to it (see below).
   */
  loginPageAtAuthorization: Middleware;
}

/** The pages' context from the authorization request: its ui_locales, and its client's (or requested lab's) brand. */
function pageContextOf(details: Details): PageContext {
  return {
    uiLocales: details.params.ui_locales,
    clientId: String(details.params.client_id),
    labId: typeof details.params.lab === 'string' ? details.params.lab : undefined,
  };
}

/** The login and consent pages oidc-provider sends browsers to. */
export function createInteractionRoutes(deps: InteractionDeps): InteractionRoutes {
  const router = new Router({ prefix: '/interaction/:uid' });
  router.use(servesPeople());
  /** Reads the body, refusing (400, before any lookup) fields that could not be stored. */
  const storable = (parse: Middleware): Middleware => (ctx, next) => parse(ctx as never, async () => {
    const unstorable = findUnstorable(ctx.request.body ?? {}, '#/body');
    if (unstorable.length) throw new InvalidRequestError('the form holds characters that cannot be accepted', unstorable);
    await next();
  });
  const form = storable(bodyParser({ enableTypes: ['form'], formLimit: '16kb' }) as Middleware);
  const json = storable(bodyParser({ enableTypes: ['json'], jsonLimit: '64kb' }) as Middleware);

  async function load(ctx: Context): Promise<Details> {
    const details = await deps.provider().interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction mismatch');
    ctx.state.page = pageContextOf(details);
    return details;
  }

  async function checkPost(ctx: Context): Promise<Details> {
    const origin = ctx.get('Origin');
    if (origin && origin !== deps.issuerOrigin) throw new errors.InvalidRequest('cross-origin form post refused');
    const details = await load(ctx);
    if (!deps.csrf.verify(details.uid, (ctx.request.body as Record<string, unknown> | undefined)?.csrf)) {
      throw new errors.InvalidRequest('the form has expired; start again from the application');
    }
    return details;
  }

  async function clientName(details: Details): Promise<string> {
    const client = await deps.provider().Client.find(String(details.params.client_id));
    return client?.clientName ?? String(details.params.client_id);
  }

  const secondFactor = createSecondFactorRoutes(
    { provider: deps.provider, load, checkPost, form, json, clientName, csrfFor: deps.csrf.tokenFor },
    { ...deps.factors, views: deps.views, log: deps.log },
  );

  function renderLogin(ctx: Context, details: Details, name: string, extra: { login?: string; error?: string } = {}, status = 200) {
    deps.views.render(ctx, 'login', { uid: details.uid, csrf: deps.csrf.tokenFor(details.uid), clientName: name, login: extra.login ?? '', error: extra.error, resetPath: deps.passwordResetPath }, status);
  }
  const loginHintOf = (details: Details) => (typeof details.params.login_hint === 'string' ? details.params.login_hint : '');

  /**
   * oidc-provider answers an authorization request that needs a sign-in with a 303 to
   * /interaction/:uid, whose GET reads the interaction back (its cookie, two store reads, the
   * client) only to show the login page: a whole request per sign-in. The page is the answer to
   * the authorization request itself instead, made from the interaction oidc-provider has just
   * created and its cookie set (the form posts to /interaction/:uid, where that cookie goes).
   * Only a new sign-in: the step-up of an existing session (its second factor alone), consent
   * and the lab choice still go through the redirect and GET /interaction/:uid, which also
   * serves every reload of the page.
   */
  const loginPageAtAuthorization: Middleware = async (ctx, next) => {
    await next();
    const oidc = (ctx as { oidc?: { route?: string; entities: { Interaction?: Details }; client?: { clientName?: string } } }).oidc;
    const details = oidc?.route === 'authorization' && ctx.status === 303 ? oidc.entities.Interaction : undefined;
    if (!details || details.prompt.name !== 'login' || ctx.response.get('Location') !== `/interaction/${details.uid}`) return;
    const reasons = details.prompt.reasons;
    if (details.session?.accountId && reasons.length === 1 && reasons[0] === 'mfa_required') return;
    ctx.remove('Location');
    ctx.state.page = pageContextOf(details);
    renderLogin(ctx, details, oidc!.client?.clientName ?? String(details.params.client_id), { login: loginHintOf(details) });
  };

  router.get('/', async (ctx) => {
    const details = await load(ctx);
    const name = await clientName(details);
    if (details.prompt.name === 'login') {
      if (await secondFactor.renderPending(ctx, details)) return;
      renderLogin(ctx, details, name, { login: loginHintOf(details) });
      return;
    }
    if (details.prompt.name === 'consent') {
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
      deps.views.render(ctx, 'consent', {
        uid: details.uid,
        csrf: deps.csrf.tokenFor(details.uid),
        clientName: name,
        scopes: missing.missingOIDCScope ?? [],
        resources: Object.keys(missing.missingResourceScopes ?? {}),
        username: await deps.displayName(String(details.session?.accountId)),
      });
      return;
    }
    if (details.prompt.name === SELECT_LAB_PROMPT) {
      const accountId = String(details.session?.accountId);
      const requested = typeof details.params.lab === 'string' ? details.params.lab : undefined;
      const labs = await deps.labs.activeLabs(accountId);
      if (requested) {
        // The first choice for a grant, named in the request, needs no page (login and consent
        // were POSTs). Switching an existing grant to another lab does: a GET alone — a link an
        // attacker can send — must not change where the user's tokens act.
        const switching = details.grantId ? (await deps.labs.recordedLab(details.grantId)) !== undefined : false;
        const offered = labs.filter((lab) => lab.id === requested);
        if (!switching || offered.length === 0) return finishLabChoice(ctx, details, requested);
        deps.views.render(ctx, 'select-lab', { uid: details.uid, csrf: deps.csrf.tokenFor(details.uid), clientName: name, labs: offered });
        return;
      }
      deps.views.render(ctx, 'select-lab', { uid: details.uid, csrf: deps.csrf.tokenFor(details.uid), clientName: name, labs });
      return;
    }
    throw new errors.InvalidRequest(`unsupported prompt ${details.prompt.name}`);
  });

  async function finishLabChoice(ctx: Context, details: Details, labId: string): Promise<void> {
    const accountId = String(details.session?.accountId);
    if (!details.grantId) throw new errors.InvalidRequest('no grant to choose a lab for');
    try {
      await deps.labs.chooseLab(details.grantId, accountId, labId);
    } catch (error) {
      if (!(error instanceof LabAccessDenied)) throw error;
      deps.log.info('lab refused', { sub: accountId, lab: labId, client_id: details.params.client_id });
      await finishInteraction(ctx, deps.provider(), details, { error: 'access_denied', error_description: error.message }, { mergeWithLastSubmission: false });
      return;
    }
    await finishInteraction(ctx, deps.provider(), details, { [SELECT_LAB_PROMPT]: { lab: labId } }, { mergeWithLastSubmission: true });
  }

  router.post('/lab', form, async (ctx) => {
    const details = await checkPost(ctx);
    if (details.prompt.name !== SELECT_LAB_PROMPT) throw new errors.InvalidRequest('this interaction does not expect a lab choice');
    const lab = (ctx.request.body as Record<string, unknown>).lab;
    if (typeof lab !== 'string' || !lab) throw new errors.InvalidRequest('choose a lab');
    await finishLabChoice(ctx, details, lab);
  });

  router.post('/login', form, async (ctx) => {
    const details = await checkPost(ctx);
    if (details.prompt.name !== 'login') throw new errors.InvalidRequest('this interaction does not expect a login');
    const body = ctx.request.body as Record<string, unknown>;
    const login = typeof body.login === 'string' ? body.login.trim().slice(0, 320) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    const clientId = String(details.params.client_id);
    const result = await deps.login({ login, password, clientId, requestId: ctx.state.requestId as string, ip: ctx.ip });
    if (!result.ok) {
      deps.log.info('login failed', { reason: result.reason, client_id: clientId, ip: ctx.ip });
      // The reason is for operators; the page says the same thing for every one of them.
      renderLogin(ctx, details, await clientName(details), { login, error: 'login.failed' }, 401);
      return;
    }
    deps.log.info('login succeeded', { sub: result.user.id, client_id: clientId });
    rememberRequestAccount(ctx.state as Record<PropertyKey, unknown>, result.user);
    await secondFactor.afterPassword(ctx, details, result.user, result.secondFactors ?? new Set());
  });

  secondFactor.install(router);

  router.post('/confirm', form, async (ctx) => {
    const details = await checkPost(ctx);
    if (details.prompt.name !== 'consent') throw new errors.InvalidRequest('this interaction does not expect consent');
    const provider = deps.provider();
    const { prompt: { details: missing }, params, session, grantId } = details;
    const accountId = String(session?.accountId);
    const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId, clientId: String(params.client_id) });
    if (!grant) throw new errors.SessionNotFound('grant not found');
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = missing as {
      missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]>;
    };
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const savedId = await grant.save();
    if (!grantId && deps.recordGrantOrigin) {
      // Only a description of the device: losing it must not fail the login.
      await deps.recordGrantOrigin({ grantId: savedId, accountId, clientId: String(params.client_id), ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 512) || undefined })
        .catch((error: unknown) => deps.log.warn('could not record where a grant was created', { error }));
    }
    await finishInteraction(ctx, deps.provider(), details, { consent: { grantId: savedId } }, { mergeWithLastSubmission: true });
  });

  router.post('/abort', form, async (ctx) => {
    const details = await checkPost(ctx);
    await finishInteraction(ctx, deps.provider(), details, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
  });

  return { router, loginPageAtAuthorization };
}
