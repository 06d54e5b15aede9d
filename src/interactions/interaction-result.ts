import type Koa from 'koa';
import type { Context, Middleware } from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * oidc-provider's `interactionResult`, on the interaction this request has already loaded and
 * checked (its cookie, the uid in the path, the session it belongs to, the form's CSRF token).
 * The provider's own method finds it again by its cookie: the same record, read a second time
 * (a store round trip and a signed-cookie check) by every post that ends an interaction.
 * Returns where the browser resumes (the authorization endpoint's resume URL).
 */
export async function saveInteractionResult(interaction: Interaction, result: InteractionResults, { mergeWithLastSubmission }: { mergeWithLastSubmission: boolean }): Promise<string> {
  interaction.result = mergeWithLastSubmission && !('error' in result) ? { ...interaction.lastSubmission, ...result } : result;
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  return interaction.returnTo;
}

/** oidc-provider's own middleware, composed once per provider (a new one comes with each key rotation). */
const composed = new WeakMap<Provider, Middleware>();
const middlewareOf = (provider: Provider): Middleware => {
  let middleware = composed.get(provider);
  if (!middleware) {
    middleware = mount(provider as unknown as Koa) as Middleware;
    composed.set(provider, middleware);
  }
  return middleware;
};

/**
 * Goes on at oidc-provider's resume endpoint (the interaction's `returnTo`, `GET /auth/:uid`)
 * in this request, where `interactionFinished` would answer 303 and the browser would come back
 * for it: that request cost every sign-in a round trip, its HTTP and cookie work, and the
 * middleware around oidc-provider. The answer to this post is then the resume's own: the 303
 * to the client's redirect_uri with the code (or the error, or the next interaction).
 *
 * The resume checks the browser by its resume cookie, which is scoped to the resume path and so
 * is not sent with this post. Every caller has already proved what that cookie proves — this
 * browser holds the interaction: its signed interaction cookie, the uid in the path, the form's
 * CSRF token — so the cookie is added to this request, signed as oidc-provider signed it (any
 * copy the request brought is dropped first). The session check (the interaction's session is
 * this browser's) and everything after it are oidc-provider's, unchanged. Method, URL and the
 * cookie header are restored afterwards, for the logs and metrics around this request.
 */
export async function resumeInThisRequest(ctx: Context, provider: Provider, interaction: Interaction): Promise<void> {
  const name = provider.cookieName('resume');
  const value = interaction.uid;
  const signature = (ctx.app.keys as unknown as { sign(data: string): string }).sign(`${name}=${value}`);
  const { method, url } = ctx;
  const cookie = ctx.req.headers.cookie;
  const others = (cookie ?? '').split(';').map((c) => c.trim()).filter((c) => c && !c.startsWith(`${name}=`) && !c.startsWith(`${name}.sig=`));
  ctx.req.headers.cookie = [`${name}=${value}`, `${name}.sig=${signature}`, ...others].join('; ');
  const returnTo = new URL(interaction.returnTo);
  ctx.method = 'GET';
  ctx.url = `${returnTo.pathname}${returnTo.search}`;
  // The form (a password among its fields) is no input of the resume.
  ctx.request.body = undefined;
  try {
    await middlewareOf(provider)(ctx, async () => {});
  } finally {
    ctx.method = method;
    ctx.url = url;
    ctx.req.headers.cookie = cookie;
  }
}

/**
 * oidc-provider's `interactionFinished` on the loaded interaction: the result saved, then the
 * resume in this request (see resumeInThisRequest) instead of a 303 to it.
 */
export async function finishInteraction(ctx: Context, provider: Provider, interaction: Interaction, result: InteractionResults, options: { mergeWithLastSubmission: boolean }): Promise<void> {
  await saveInteractionResult(interaction, result, options);
  await resumeInThisRequest(ctx, provider, interaction);
}
