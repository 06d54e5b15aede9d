import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors, interactionPolicy } from 'oidc-provider';

import { ACCOUNT_CLIENT_ID } from '../domain/account/account-client.js';
import { LabAccessDenied, type ActingLab, type LabAccess } from '../domain/tenancy/lab-access.js';
import { createLookupCache, type LookupCacheOptions } from './lookup-cache.js';

export const SELECT_LAB_PROMPT = 'select_lab';

const LAB_SWITCH = Symbol('labSwitch');
interface LabSwitch { grantId: string; accountId: string; acting: ActingLab }

/** The `lab` parameter as sent to the token endpoint (oidc-provider keeps only known params). */
function requestedLab(ctx: KoaContextWithOIDC): string | undefined {
  const fromToken = (ctx.oidc.body as Record<string, unknown> | undefined)?.lab;
  const value = fromToken ?? ctx.oidc.params?.lab;
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

const grantIdOf = (ctx: KoaContextWithOIDC) => (ctx.oidc.grant as { jti?: string } | undefined)?.jti;

/**
 * How labs enter the protocol:
 * - the authorization request's `lab` parameter, or the lab picker when the user has several
 *   labs and names none (a prompt after login and consent);
 * - `lab` on a refresh_token request switches the grant to another of the user's labs;
 * - access tokens for a resource carry `lab_id`, `lab_role` and the principal's `roles` there.
 */
export function createLabPolicy(labs: LabAccess, options: { clientRolesCache: LookupCacheOptions }) {
  // Service clients' roles are read for every client_credentials token: cached like clients
  // (a change reaches every node within the cache's TTL). Keyed `<client id> <audience>`: an
  // audience is a URI, which holds no space, so the last space splits the key back.
  const clientRoles = createLookupCache(options.clientRolesCache, (key) => {
    const space = key.lastIndexOf(' ');
    return labs.rolesOn('client', key.slice(0, space), key.slice(space + 1));
  });
  const rolesOfClient = (clientId: string, audience: string): Promise<string[]> => clientRoles.get(`${clientId} ${audience}`);

  const prompt = new interactionPolicy.Prompt(
    { name: SELECT_LAB_PROMPT, requestable: false },
    new interactionPolicy.Check('lab_not_selected', 'the user must choose the lab to act in', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      // The account page acts in no lab: its sign-in never asks for one.
      if (!accountId || ctx.oidc.client?.clientId === ACCOUNT_CLIENT_ID) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return (await labs.needsChoice(grantIdOf(ctx), accountId, requestedLab(ctx)))
        ? interactionPolicy.Check.REQUEST_PROMPT
        : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
  );

  return {
    /** A service client's roles on a resource, from the same per-node cache its tokens are minted from. */
    rolesOfClient,
    interactionPolicy() {
      const policy = interactionPolicy.base();
      policy.add(prompt);
      return policy;
    },

    /**
     * Called by oidc-provider just before it consumes a refresh token: the last moment a bad
     * `lab` can be refused without costing the client its refresh token.
     */
    async beforeRefreshRotation(ctx: KoaContextWithOIDC): Promise<true> {
      const grantId = (ctx.oidc.entities.RefreshToken as { grantId?: string } | undefined)?.grantId;
      const accountId = (ctx.oidc.entities.Account as { accountId?: string } | undefined)?.accountId;
      if (!grantId || !accountId) return true;
      const lab = requestedLab(ctx);
      try {
        if (lab) {
          const acting = await labs.activeMembership(accountId, lab);
          if (!acting) throw new LabAccessDenied(lab);
          // Used for this response's tokens now, recorded on the grant only if the refresh succeeds.
          (ctx.state as Record<symbol, unknown>)[LAB_SWITCH] = { grantId, accountId, acting } satisfies LabSwitch;
        } else {
          await labs.actingLab(grantId, accountId);
        }
      } catch (error) {
        if (error instanceof LabAccessDenied) {
          if (lab) throw new errors.InvalidTarget(error.message);
          // The lab this grant acted in was suspended, or the membership: the grant is over.
          throw new errors.InvalidGrant(error.message);
        }
        throw error;
      }
      return true;
    },

    /** Provider middleware: a refresh that switched labs records the switch once it succeeded. */
    recordLabSwitch(onError: (error: unknown) => void) {
      return async (ctx: { state: Record<symbol, unknown>; status: number }, next: () => Promise<void>) => {
        await next();
        const switching = ctx.state[LAB_SWITCH] as LabSwitch | undefined;
        if (switching && ctx.status === 200) {
          await labs.chooseLab(switching.grantId, switching.accountId, switching.acting.labId).catch(onError);
        }
      };
    },

    /** Lab and role claims for an access token bound to a resource. */
    async accessTokenClaims(ctx: KoaContextWithOIDC, token: { accountId?: string; clientId?: string; grantId?: string; resourceServer?: { audience?: string } }): Promise<Record<string, unknown>> {
      const audience = token.resourceServer?.audience;
      if (!audience) return {};
      if (!token.accountId) {
        const roles = await rolesOfClient(String(token.clientId ?? ctx.oidc.client?.clientId), audience);
        return roles.length ? { roles } : {};
      }
      const switching = (ctx.state as Record<symbol, LabSwitch | undefined>)[LAB_SWITCH];
      let acting;
      try {
        acting = switching && switching.grantId === token.grantId ? switching.acting : await labs.actingLab(token.grantId, token.accountId);
      } catch (error) {
        if (error instanceof LabAccessDenied) throw new errors.InvalidGrant(error.message);
        throw error;
      }
      const roles = await labs.rolesOn('user', token.accountId, audience, acting?.labId);
      return { ...(acting ? { lab_id: acting.labId, lab_role: acting.role } : {}), roles };
    },
  };
}

export type LabPolicy = ReturnType<typeof createLabPolicy>;
