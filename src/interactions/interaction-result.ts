import type { Context } from 'koa';
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

/** oidc-provider's `interactionFinished` on the loaded interaction: the result saved, then the same bare 303 to resume. */
export async function finishInteraction(ctx: Context, interaction: Interaction, result: InteractionResults, options: { mergeWithLastSubmission: boolean }): Promise<void> {
  const returnTo = await saveInteractionResult(interaction, result, options);
  ctx.respond = false;
  ctx.res.statusCode = 303;
  ctx.res.setHeader('Location', returnTo);
  ctx.res.setHeader('Content-Length', '0');
  ctx.res.end();
}
