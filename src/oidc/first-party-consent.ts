import type { Grant, KoaContextWithOIDC } from 'oidc-provider';
import { interactionPolicy } from 'oidc-provider';

import { FIRST_PARTY_PROPERTY } from '../domain/client-metadata.js';
import type { GrantOrigin } from '../domain/ports/grant-origin-repository.js';

export interface FirstPartyConsentDeps {
  /** Remembers where a new grant was made (the consent page does the same for other clients). */
  recordGrantOrigin?: (origin: GrantOrigin) => Promise<void>;
  onError: (error: unknown) => void;
}

const isFirstParty = (client: unknown) => (client as Record<string, unknown> | undefined)?.[FIRST_PARTY_PROPERTY] === true;

/**
 * A first-party client's own `prompt=consent` is resolved without a page too: OpenID Connect
 * grants `offline_access` only with prompt=consent, so otherwise a trusted client could never
 * get a refresh token without showing the page this setting exists to skip.
 */
export function withFirstPartyConsent(policy: interactionPolicy.DefaultPolicy): interactionPolicy.DefaultPolicy {
  const requested = policy.get('consent')?.checks.get('consent_prompt');
  if (!requested) throw new Error('oidc-provider\'s consent prompt has no consent_prompt check to adjust');
  const original = requested.check;
  requested.check = (ctx) => (isFirstParty(ctx.oidc.client) ? interactionPolicy.Check.NO_NEED_TO_PROMPT : original(ctx));
  return policy;
}

/**
 * oidc-provider's `loadExistingGrant`: the grant an authorization request is resolved with. For
 * most clients it is the grant the user consented to (oidc-provider's default). For a trusted
 * first-party client the grant is extended, before the consent check runs, with whatever the
 * request asks for — the OIDC scopes and claims, and each requested resource's scopes (already
 * limited to what the client may have by getResourceServerInfo) — so the consent prompt finds
 * nothing missing and the user goes from the login page straight back to the client. The grant
 * is still saved, recorded with where it was made, and listed in the user's grants like any other.
 */
export function firstPartyGrantLoader(deps: FirstPartyConsentDeps) {
  return async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
    const { oidc } = ctx;
    const client = oidc.client!;
    const grantId = oidc.result?.consent?.grantId || oidc.session!.grantIdFor(client.clientId);
    const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    // A grant that vanished (revoked, expired) is not revived: the default would also return nothing.
    if (!isFirstParty(client) || (grantId && !existing)) return existing;
    const accountId = oidc.session!.accountId!;
    const grant = existing ?? new oidc.provider.Grant({ accountId, clientId: client.clientId });
    let changed = !existing;
    const missingOIDC = [...oidc.requestParamOIDCScopes].filter((s) => !grant.getOIDCScopeEncountered().split(' ').includes(s));
    if (missingOIDC.length) {
      grant.addOIDCScope(missingOIDC.join(' '));
      changed = true;
    }
    const missingClaims = [...oidc.requestParamClaims].filter((c) => !grant.getOIDCClaimsEncountered().includes(c));
    if (missingClaims.length) {
      grant.addOIDCClaims(missingClaims);
      changed = true;
    }
    for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
      const held = new Set(grant.getResourceScopeEncountered(indicator).split(' '));
      const missing = [...oidc.requestParamScopes].filter((s) => server.scopes.has(s) && !held.has(s));
      if (missing.length) {
        grant.addResourceScope(indicator, missing.join(' '));
        changed = true;
      }
    }
    if (!changed) return grant;
    const savedId = await grant.save();
    if (!existing && deps.recordGrantOrigin) {
      // Only a description of the device: losing it must not fail the login.
      await deps.recordGrantOrigin({ grantId: savedId, accountId, clientId: client.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 512) || undefined })
        .catch(deps.onError);
    }
    return grant;
  };
}
