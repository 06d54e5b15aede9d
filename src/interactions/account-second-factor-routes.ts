import type Router from '@koa/router';
import type { Context } from 'koa';
import { errors } from 'oidc-provider';

import type { SecondFactors } from '../domain/factors/second-factors.js';
import {
  csrfOnlyForm, factorPath, factorRenameForm, passkeyOptionsBody, passkeyRegisterBody, totpConfirmForm,
} from '../domain/schemas/account-schemas.js';
import type { User } from '../domain/types.js';
import type { AccountPageGuard, AccountRoutesDeps } from './account-routes.js';
import { checkPageInput } from './page-forms.js';
import { beginTotpWithQr, PASSKEY_REFUSED } from './second-factor-routes.js';
import type { Views } from './views.js';

const BASE = '/second-factors';
const CODES_PAGE = `/account${BASE}/recovery-codes`;

export interface AccountSecondFactorDeps {
  secondFactors: SecondFactors;
  findUser: (id: string) => Promise<User | undefined>;
  views: Views;
}

/**
 * The "Second factors" section of the account page: lists a person's factors and lets them add
 * an authenticator app or a passkey, rename and remove factors, and get new recovery codes. Every
 * change goes through the second-factor use cases (audited there); forms go through the page's
 * guard (session, Origin, schema, CSRF). Recovery codes are shown once, on a page a post
 * redirects to, so a reload or the back button does not show them again.
 */
export function accountSecondFactors(deps: AccountSecondFactorDeps): NonNullable<AccountRoutesDeps['secondFactors']> {
  const { secondFactors, views } = deps;

  return {
    async view(userId) {
      const { factors, recoveryCodesLeft } = await secondFactors.summary(userId);
      return { factors, recoveryCodesLeft };
    },

    done: {
      totp: 'account.done.totp',
      passkey: 'account.done.passkey',
      renamed: 'account.done.renamed',
      removed: 'account.done.removed',
    },

    routes(router: Router, guard: AccountPageGuard) {
      const holder = (ctx: Context) => `account:${guard.account(ctx).userId}:${guard.account(ctx).sessionUid}`;
      const factorId = (ctx: Context) => checkPageInput<{ id: string }>(factorPath, { id: ctx.params.id }, 'query').id;
      const user = async (ctx: Context) => {
        const found = await deps.findUser(guard.account(ctx).userId);
        if (!found) throw new errors.SessionNotFound('the account is no longer active');
        return found;
      };
      const redirect = (ctx: Context, to: string) => {
        ctx.status = 303;
        ctx.redirect(to);
      };
      /** Where an enrolment ends: the recovery codes when it brought the first ones, else the page. */
      async function afterEnrolment(ctx: Context, recoveryCodes: string[] | undefined, done: string): Promise<string> {
        if (!recoveryCodes) return `/account?done=${done}`;
        await secondFactors.holdRecoveryCodes(holder(ctx), recoveryCodes);
        return CODES_PAGE;
      }
      async function renderTotp(ctx: Context, error?: string, status = 200): Promise<void> {
        const { secret, qr } = await beginTotpWithQr(secondFactors, await user(ctx));
        views.render(ctx, 'account-totp', { csrf: guard.account(ctx).csrf, secret, qr, error }, status);
      }
      async function factorOf(ctx: Context) {
        const id = factorId(ctx);
        const factor = (await secondFactors.summary(guard.account(ctx).userId)).factors.find((f) => f.id === id);
        if (!factor) throw new errors.InvalidRequest('no such factor');
        return factor;
      }

      router.get(`${BASE}/totp`, guard.signedIn, (ctx) => renderTotp(ctx));
      router.post(`${BASE}/totp`, guard.signedIn, async (ctx) => {
        const form = await guard.readForm<{ csrf: string; code: string; name?: string }>(ctx, totpConfirmForm);
        const { userId } = guard.account(ctx);
        const enrolled = await secondFactors.confirmTotp(guard.origin(ctx), userId, form.code.replace(/\s/g, ''), form.name);
        if (!enrolled) return renderTotp(ctx, 'mfa.codeRefused', 401);
        redirect(ctx, await afterEnrolment(ctx, enrolled.recoveryCodes, 'totp'));
      });

      // /static/passkey.js posts here (data-base="/account/second-factors"), as on the sign-in pages.
      router.post(`${BASE}/passkey/options`, guard.signedIn, async (ctx) => {
        await guard.readForm(ctx, passkeyOptionsBody, 'json');
        ctx.body = await secondFactors.passkeyRegistrationOptions(holder(ctx), await user(ctx));
      });
      router.post(`${BASE}/passkey/register`, guard.signedIn, async (ctx) => {
        const { response } = await guard.readForm<{ csrf: string; response: object }>(ctx, passkeyRegisterBody, 'json');
        const enrolled = await secondFactors.registerPasskey(guard.origin(ctx), guard.account(ctx).userId, holder(ctx), response as never);
        if (!enrolled) {
          ctx.status = 400;
          ctx.body = { error: 'passkey_not_verified', message: PASSKEY_REFUSED };
          return;
        }
        ctx.body = { redirect: await afterEnrolment(ctx, enrolled.recoveryCodes, 'passkey') };
      });

      router.post(`${BASE}/recovery-codes`, guard.signedIn, async (ctx) => {
        await guard.readForm(ctx, csrfOnlyForm);
        const codes = await secondFactors.regenerateRecoveryCodes(guard.origin(ctx), guard.account(ctx).userId);
        if (!codes) throw new errors.InvalidRequest('recovery codes come with a second factor; add one first');
        await secondFactors.holdRecoveryCodes(holder(ctx), codes);
        redirect(ctx, CODES_PAGE);
      });
      router.get(`${BASE}/recovery-codes`, guard.signedIn, async (ctx) => {
        const codes = await secondFactors.takeRecoveryCodes(holder(ctx));
        if (!codes) return ctx.redirect('/account');
        views.render(ctx, 'account-recovery-codes', { recoveryCodes: codes });
      });

      router.post(`${BASE}/:id/rename`, guard.signedIn, async (ctx) => {
        const form = await guard.readForm<{ csrf: string; name: string }>(ctx, factorRenameForm);
        if (!(await secondFactors.rename(guard.origin(ctx), guard.account(ctx).userId, factorId(ctx), form.name))) throw new errors.InvalidRequest('no such factor');
        redirect(ctx, '/account?done=renamed');
      });

      /** Removing asks first, on its own page: a factor is what keeps others out. */
      router.get(`${BASE}/:id/remove`, guard.signedIn, async (ctx) => {
        const factor = await factorOf(ctx);
        const { factors } = await secondFactors.summary(guard.account(ctx).userId);
        views.render(ctx, 'account-factor-remove', { csrf: guard.account(ctx).csrf, factor, last: factors.length === 1 });
      });
      router.post(`${BASE}/:id/remove`, guard.signedIn, async (ctx) => {
        await guard.readForm(ctx, csrfOnlyForm);
        if (!(await secondFactors.remove(guard.origin(ctx), guard.account(ctx).userId, factorId(ctx)))) throw new errors.InvalidRequest('no such factor');
        redirect(ctx, '/account?done=removed');
      });
    },
  };
}
