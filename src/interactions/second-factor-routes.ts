import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';

import { acrOf, withSecondFactor, type AuthenticationMethod } from '../domain/factors/authentication-methods.js';
import type { MfaPolicy } from '../domain/factors/mfa-policy.js';
import type { PendingSignIn, PendingSignIns } from '../domain/factors/pending-sign-in.js';
import type { FactorCheck, SecondFactors } from '../domain/factors/second-factors.js';
import type { Factor } from '../domain/ports/factor-repository.js';
import type { User } from '../domain/types.js';
import type { Logger } from '../logger.js';
import { DECIDED_WITHOUT_SECOND_FACTOR } from '../oidc/mfa-check.js';
import { finishInteraction, resumeInThisRequest, saveInteractionResult } from './interaction-result.js';
import { englishText } from './messages.js';
import type { Views } from './views.js';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What the login routes share with these: reading and checking an interaction, and its client's name. */
export interface InteractionKit {
  provider: () => Provider;
  load(ctx: Context): Promise<Details>;
  /** Checks Origin and the CSRF token of `body` (a form or a JSON body). */
  checkPost(ctx: Context): Promise<Details>;
  form: Middleware;
  json: Middleware;
  clientName(details: Details): Promise<string>;
  csrfFor(uid: string): string;
}

export interface SecondFactorDeps {
  secondFactors: SecondFactors;
  mfaPolicy: MfaPolicy;
  pendingSignIns: PendingSignIns;
  findUser: (id: string) => Promise<User | undefined>;
  views: Views;
  log: Logger;
}

/** One message per kind of wrong input; which factor or why is for the audit log. */
export const CODE_REFUSED = englishText('mfa.codeRefused');
export const CODE_MALFORMED = englishText('mfa.codeMalformed');
export const PASSKEY_REFUSED = 'That passkey could not be verified.';

/** Starts adding an authenticator app: its key, and the key as a QR code (a `data:` image the pages' CSP allows). */
export async function beginTotpWithQr(secondFactors: SecondFactors, user: Pick<User, 'id' | 'username'>): Promise<{ secret: string; qr: string }> {
  const { secret, uri } = await secondFactors.beginTotp(user.id, user.username);
  // Loaded by the first enrolment (the module cache keeps it): qrcode and pngjs are ~1 MB of heap no token request needs.
  const { default: QRCode } = await import('qrcode');
  return { secret, qr: await QRCode.toDataURL(uri, { margin: 1, width: 200 }) };
}

/** The purpose a second factor is judged against: the authorization request's client, resources and acr_values. */
export function purposeOf(details: Details, user: User) {
  const resource = details.params.resource;
  const acr = details.params.acr_values;
  return {
    user,
    clientId: String(details.params.client_id),
    resources: Array.isArray(resource) ? resource.map(String) : typeof resource === 'string' ? [resource] : [],
    acrValues: typeof acr === 'string' ? acr.split(' ').filter(Boolean) : [],
  };
}

/**
 * The second step of signing in: a TOTP code, a recovery code or a passkey after the password;
 * enrolling a first factor when policy requires one and the person has none (recovery codes shown
 * once); and a passkey as the first factor (username-less, a discoverable credential). The
 * browser's passkey calls are JSON posts from /static/passkey.js, CSRF-checked like the forms.
 */
export function createSecondFactorRoutes(kit: InteractionKit, deps: SecondFactorDeps) {
  const { secondFactors, pendingSignIns, views } = deps;
  const parseJson = kit.json;
  const context = (ctx: Context, details: Details) => ({ requestId: ctx.state.requestId as string | undefined, ip: ctx.ip, clientId: String(details.params.client_id) });

  async function finish(ctx: Context, details: Details, accountId: string, amr: readonly string[]): Promise<string> {
    const stepUp = details.session?.accountId === accountId && details.prompt.reasons.includes('mfa_required') && !details.prompt.reasons.includes('no_session');
    // The sign-in's audit row is committed before the interaction may finish (never a session without it).
    await Promise.all([pendingSignIns.end(details.uid), secondFactors.completeSignIn(accountId, amr, { ...context(ctx, details), stepUp })]);
    return saveInteractionResult(details, { login: { accountId, amr: [...amr], acr: acrOf(amr) } }, { mergeWithLastSubmission: false });
  }

  const redirect = (ctx: Context, url: string) => {
    ctx.status = 303;
    ctx.redirect(url);
  };
  const self = (uid: string) => `/interaction/${uid}`;

  async function renderChallenge(ctx: Context, details: Details, pending: PendingSignIn, error?: string, status = 200, known?: ReadonlySet<Factor['kind']>) {
    const kinds = known ?? await secondFactors.kindsOf(pending.accountId);
    views.render(ctx, 'mfa', { uid: details.uid, csrf: kit.csrfFor(details.uid), clientName: await kit.clientName(details), passkeys: kinds.has('passkey'), totp: kinds.has('totp'), error }, status);
  }

  async function renderEnrolment(ctx: Context, details: Details, pending: PendingSignIn, error?: string, status = 200) {
    const user = await deps.findUser(pending.accountId);
    if (!user) throw new errors.SessionNotFound('the account is no longer active');
    const { secret, qr } = await beginTotpWithQr(secondFactors, user);
    views.render(ctx, 'mfa-enrol', { uid: details.uid, csrf: kit.csrfFor(details.uid), clientName: await kit.clientName(details), secret, qr, error }, status);
  }

  return {
    /**
     * Renders the second step when this interaction has one under way (or when an existing
     * session must step up); false when the password page should be shown.
     */
    async renderPending(ctx: Context, details: Details): Promise<boolean> {
      let pending = await pendingSignIns.get(details.uid);
      const reasons = details.prompt.reasons;
      const sessionAccount = details.session?.accountId;
      if (!pending && sessionAccount && reasons.length === 1 && reasons[0] === 'mfa_required') {
        // Step-up: the session proved its first factor; only the second is missing.
        const amr = ((details.session as { amr?: AuthenticationMethod[] }).amr ?? ['pwd']);
        pending = { accountId: sessionAccount, amr, enrol: !(await secondFactors.hasFactor(sessionAccount)) };
        await pendingSignIns.save(details.uid, pending);
      }
      if (!pending) return false;
      if (pending.completed) {
        const recoveryCodes = await pendingSignIns.takeRecoveryCodes(details.uid, pending);
        views.render(ctx, 'mfa-done', { uid: details.uid, csrf: kit.csrfFor(details.uid), recoveryCodes });
      } else if (pending.enrol) {
        await renderEnrolment(ctx, details, pending);
      } else {
        await renderChallenge(ctx, details, pending);
      }
      return true;
    },

    /**
     * After a right password: finishes the sign-in when no second factor is needed, else keeps
     * it pending and shows the second step. The code page is the answer to the password post
     * itself: a redirect to it cost a whole request (the interaction, the pending sign-in and
     * the factors read again) on every two-step sign-in, and a reload that posts the password
     * again (after the browser asks) only checks it again and shows the same page. Enrolment,
     * which creates a secret, is shown after a redirect.
     */
    async afterPassword(ctx: Context, details: Details, user: User, kinds: ReadonlySet<Factor['kind']>): Promise<void> {
      const hasFactor = kinds.size > 0;
      const reason = await deps.mfaPolicy.reason({ ...purposeOf(details, user), hasFactor });
      if (!reason) {
        const login = { accountId: user.id, amr: ['pwd'], acr: acrOf(['pwd']), [DECIDED_WITHOUT_SECOND_FACTOR]: true };
        await finishInteraction(ctx, kit.provider(), details, { login }, { mergeWithLastSubmission: false });
        return;
      }
      deps.log.info('second factor required', { sub: user.id, reason, client_id: details.params.client_id });
      const pending: PendingSignIn = { accountId: user.id, amr: ['pwd'], enrol: !hasFactor };
      await pendingSignIns.save(details.uid, pending);
      if (pending.enrol) redirect(ctx, self(details.uid));
      else await renderChallenge(ctx, details, pending, undefined, 200, kinds);
    },

    install(router: Router): void {
      router.post('/mfa', kit.form, async (ctx) => {
        // The pending sign-in is read with the interaction (checkPost then proves the uid is this browser's).
        const [details, pending] = await Promise.all([kit.checkPost(ctx), pendingSignIns.get(String(ctx.params.uid))]);
        if (!pending || pending.enrol || pending.completed) throw new errors.InvalidRequest('this interaction does not expect a second factor');
        const body = ctx.request.body as Record<string, unknown>;
        const code = typeof body.code === 'string' ? body.code.trim().slice(0, 64) : '';
        const recovery = code.replace(/\s/g, '').length > 6;
        const check: FactorCheck = recovery
          ? await secondFactors.useRecoveryCode(pending.accountId, code, context(ctx, details))
          : await secondFactors.verifyTotp(pending.accountId, code, context(ctx, details));
        if (!check.ok) {
          deps.log.info('second factor refused', { sub: pending.accountId, reason: check.reason, client_id: details.params.client_id });
          await renderChallenge(ctx, details, pending, check.reason === 'malformed' ? 'mfa.codeMalformed' : 'mfa.codeRefused', 401);
          return;
        }
        await finish(ctx, details, pending.accountId, withSecondFactor(pending.amr, check.method));
        await resumeInThisRequest(ctx, kit.provider(), details);
      });

      router.post('/mfa/enrol', kit.form, async (ctx) => {
        const details = await kit.checkPost(ctx);
        const pending = await pendingSignIns.get(details.uid);
        if (!pending?.enrol || pending.completed) throw new errors.InvalidRequest('this interaction does not expect an enrolment');
        const body = ctx.request.body as Record<string, unknown>;
        const code = typeof body.code === 'string' ? body.code.replace(/\s/g, '').slice(0, 16) : '';
        const enrolled = await secondFactors.confirmTotp({ actor: `user:${pending.accountId}`, requestId: ctx.state.requestId as string, ip: ctx.ip }, pending.accountId, code);
        if (!enrolled) {
          await renderEnrolment(ctx, details, pending, 'mfa.codeRefused', 401);
          return;
        }
        await pendingSignIns.complete(details.uid, pending, withSecondFactor(pending.amr, 'otp'), enrolled.recoveryCodes);
        redirect(ctx, self(details.uid));
      });

      router.post('/mfa/continue', kit.form, async (ctx) => {
        const details = await kit.checkPost(ctx);
        const pending = await pendingSignIns.get(details.uid);
        if (!pending?.completed) throw new errors.InvalidRequest('this sign-in has no second factor yet');
        await finish(ctx, details, pending.accountId, pending.completed);
        await resumeInThisRequest(ctx, kit.provider(), details);
      });

      /** Options for navigator.credentials: sign-in (username-less, or the pending person's passkeys) or registration (enrolment). */
      router.post('/passkey/options', parseJson, async (ctx) => {
        const details = await kit.checkPost(ctx);
        const { purpose } = ctx.request.body as Record<string, unknown>;
        const pending = await pendingSignIns.get(details.uid);
        if (purpose === 'register') {
          const user = pending?.enrol && !pending.completed ? await deps.findUser(pending.accountId) : undefined;
          if (!user) throw new errors.InvalidRequest('this interaction does not expect an enrolment');
          ctx.body = await secondFactors.passkeyRegistrationOptions(details.uid, user);
          return;
        }
        if (details.prompt.name !== 'login') throw new errors.InvalidRequest('this interaction does not expect a login');
        ctx.body = await secondFactors.passkeyAuthenticationOptions(details.uid, pending?.accountId);
      });

      router.post('/passkey/register', parseJson, async (ctx) => {
        const details = await kit.checkPost(ctx);
        const pending = await pendingSignIns.get(details.uid);
        if (!pending?.enrol || pending.completed) throw new errors.InvalidRequest('this interaction does not expect an enrolment');
        const { response } = ctx.request.body as Record<string, unknown>;
        const origin = { actor: `user:${pending.accountId}`, requestId: ctx.state.requestId as string, ip: ctx.ip };
        const enrolled = response && typeof response === 'object' ? await secondFactors.registerPasskey(origin, pending.accountId, details.uid, response as never) : undefined;
        if (!enrolled) {
          ctx.status = 400;
          ctx.body = { error: 'passkey_not_verified', message: PASSKEY_REFUSED };
          return;
        }
        // Created on this device just now, after the password: two factors.
        await pendingSignIns.complete(details.uid, pending, withSecondFactor(pending.amr, 'hwk'), enrolled.recoveryCodes);
        ctx.body = { redirect: self(details.uid) };
      });

      router.post('/passkey/verify', parseJson, async (ctx) => {
        const details = await kit.checkPost(ctx);
        if (details.prompt.name !== 'login') throw new errors.InvalidRequest('this interaction does not expect a login');
        const pending = await pendingSignIns.get(details.uid);
        const { response } = ctx.request.body as Record<string, unknown>;
        const result = response && typeof response === 'object'
          ? await secondFactors.verifyPasskey(details.uid, response as never, context(ctx, details), pending?.accountId)
          : { ok: false as const, reason: 'not_verified' as const };
        if (!result.ok) {
          deps.log.info('passkey refused', { reason: result.reason, client_id: details.params.client_id });
          ctx.status = 400;
          ctx.body = { error: 'passkey_not_verified', message: PASSKEY_REFUSED };
          return;
        }
        if (pending) {
          const key = result.amr.find((m) => m === 'hwk' || m === 'swk') ?? 'hwk';
          ctx.body = { redirect: await finish(ctx, details, pending.accountId, withSecondFactor(pending.amr, key)) };
          return;
        }
        const user = await deps.findUser(result.userId);
        if (!user) {
          ctx.status = 400;
          ctx.body = { error: 'passkey_not_verified', message: PASSKEY_REFUSED };
          return;
        }
        // A passkey without user verification is one factor: a sign-in needing two asks for a code as well.
        if (!result.amr.includes('mfa') && await deps.mfaPolicy.reason(purposeOf(details, user))) {
          await pendingSignIns.save(details.uid, { accountId: user.id, amr: result.amr, enrol: false });
          ctx.body = { redirect: self(details.uid) };
          return;
        }
        ctx.body = { redirect: await finish(ctx, details, user.id, result.amr) };
      });
    },
  };
}

export type SecondFactorRoutes = ReturnType<typeof createSecondFactorRoutes>;
