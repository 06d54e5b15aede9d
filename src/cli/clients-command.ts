import type { Config } from '../config/load-config.js';
import type { AuthMethod, ClientInput, ClientManagement, ClientView, GrantType } from '../domain/management/client-management.js';
import { AUTH_METHODS, clientIdSchema, GRANT_TYPES } from '../domain/schemas/client-schemas.js';
import { withServices } from './cli-services.js';
import { CliError } from './cli-error.js';
import { operatorOrigin } from './operator-origin.js';
import { asUsageError } from './users-command.js';

/** Options of `gatehouse clients`, merged into the CLI's one parseArgs call. */
export const CLIENTS_OPTIONS = {
  grant: { type: 'string', multiple: true },
  resource: { type: 'string', multiple: true },
  scope: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  name: { type: 'string' },
  'auth-method': { type: 'string' },
  'default-resource': { type: 'string' },
  'require-par': { type: 'boolean' },
  'dpop-bound': { type: 'boolean' },
  'exchange-resource': { type: 'string', multiple: true },
  'first-party': { type: 'boolean' },
  'logout-ends-offline-grants': { type: 'boolean' },
  'backchannel-logout-uri': { type: 'string' },
} as const;

export interface ClientsOptions {
  json?: boolean;
  grant?: string[];
  resource?: string[];
  scope?: string;
  'redirect-uri'?: string[];
  name?: string;
  'auth-method'?: string;
  'default-resource'?: string;
  'dpop-bound'?: boolean;
  'exchange-resource'?: string[];
  'first-party'?: boolean;
  'require-par'?: boolean;
  'logout-ends-offline-grants'?: boolean;
  'backchannel-logout-uri'?: string;
}

export const CLIENTS_HELP = `gatehouse clients create CLIENT_ID [--grant G]... [--resource URI]... [--scope "a b"] [--redirect-uri URI]...
                         [--name NAME] [--auth-method client_secret_basic|client_secret_post|none] [--default-resource URI]
                         [--exchange-resource URI]... [--first-party] [--dpop-bound] [--require-par]
                         [--logout-ends-offline-grants] [--backchannel-logout-uri URI] [--json]
                 | list [--json] | rotate-secret CLIENT_ID [--json]
  create prints a confidential client's secret once (only its hash is stored); rotate-secret prints the new one,
  and the previous one keeps working for GATEHOUSE_CLIENT_SECRET_OVERLAP_SECONDS.
  --dpop-bound: every access token of the client must be DPoP-bound (dpop_bound_access_tokens).
  --logout-ends-offline-grants: RP-initiated logout also ends the client's offline_access grants.
  --backchannel-logout-uri: where logout tokens are POSTed (Back-Channel Logout 1.0; they carry sid).
  The same rules as POST /api/v1/clients. Acts on DATABASE_URL directly (with the embedded database, stop the server
  first); running nodes see a change within their client cache time (default 5 s).`;

/** `gatehouse clients …`: the management API's client rules, for operators at a shell. */
export async function runClientsCommand(args: string[], options: ClientsOptions, config: Config, out: (data: unknown, text: string) => void): Promise<void> {
  const [sub, clientId, ...extra] = args;
  if (extra.length) throw new CliError(`unexpected argument(s): ${extra.join(' ')}\n${CLIENTS_HELP}`, 2);
  if (sub === 'create' || sub === 'rotate-secret') {
    if (!clientId) throw new CliError(`expected a client id\n${CLIENTS_HELP}`, 2);
  } else if (sub === 'list') {
    if (clientId) throw new CliError(`list takes no client id\n${CLIENTS_HELP}`, 2);
  } else {
    throw new CliError(`unknown clients command '${sub ?? ''}'\n${CLIENTS_HELP}`, 2);
  }
  const input = sub === 'create' ? clientInput(clientId!, options) : undefined;

  return withServices(config, async ({ clients }) => {
    try {
      return await clientsCommand(clients);
    } catch (error) {
      throw asUsageError(error);
    }
  });

  async function clientsCommand(clients: ClientManagement): Promise<void> {
    if (sub === 'create') {
      const { client, clientSecret } = await clients.create(operatorOrigin(), input!);
      return out({ ...client, ...(clientSecret ? { clientSecret } : {}) }, clientSecret
        ? `created ${client.clientId}\nclient secret (shown only now; store it): ${clientSecret}`
        : `created ${client.clientId} (public client, no secret)`);
    }
    if (sub === 'rotate-secret') {
      const rotated = await clients.rotateSecret(operatorOrigin(), clientId!);
      return out({ clientId: rotated.clientId, clientSecret: rotated.clientSecret, previousSecretExpiresAt: rotated.previousSecretExpiresAt },
        `new secret for ${rotated.clientId} (shown only now; store it): ${rotated.clientSecret}\n`
        + (rotated.previousSecretExpiresAt ? `the previous secret works until ${rotated.previousSecretExpiresAt}` : 'there was no previous secret'));
    }
    const all: ClientView[] = [];
    for (let offset = 0; ; offset += 200) {
      const page = await clients.list({}, { limit: 200, offset });
      all.push(...page.items);
      if (all.length >= page.total || !page.items.length) break;
    }
    const width = Math.max(9, ...all.map((c) => c.clientId.length));
    const grantWidth = Math.max(6, ...all.map((c) => c.grantTypes.join(',').length));
    return out(all, [
      `${'CLIENT ID'.padEnd(width)}  ${'GRANTS'.padEnd(grantWidth)}  SECRETS  RESOURCES`,
      ...all.map((c) => `${c.clientId.padEnd(width)}  ${c.grantTypes.join(',').padEnd(grantWidth)}  ${String(c.secretCount).padEnd(7)}  ${c.resources.join(',') || '-'}`),
    ].join('\n'));
  }
}

const clientIdPattern = new RegExp(clientIdSchema.pattern);

function clientInput(clientId: string, options: ClientsOptions): ClientInput {
  const grants = options.grant ?? [];
  const unknownGrant = grants.find((g) => !(GRANT_TYPES as readonly string[]).includes(g));
  if (unknownGrant) throw new CliError(`--grant ${unknownGrant}: expected one of ${GRANT_TYPES.join(', ')}`, 2);
  const authMethod = options['auth-method'];
  if (authMethod !== undefined && !(AUTH_METHODS as readonly string[]).includes(authMethod)) {
    throw new CliError(`--auth-method ${authMethod}: expected one of ${AUTH_METHODS.join(', ')}`, 2);
  }
  if (!clientIdPattern.test(clientId)) throw new CliError(`client id ${JSON.stringify(clientId)}: expected 1–100 of A–Z a–z 0–9 . _ ~ -`, 2);
  return {
    clientId,
    ...(options.name ? { clientName: options.name } : {}),
    ...(grants.length ? { grantTypes: [...new Set(grants)] as GrantType[] } : {}),
    ...(options.resource ? { resources: [...new Set(options.resource)] } : {}),
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
    ...(options['redirect-uri'] ? { redirectUris: [...new Set(options['redirect-uri'])] } : {}),
    ...(authMethod ? { tokenEndpointAuthMethod: authMethod as AuthMethod } : {}),
    ...(options['default-resource'] ? { defaultResource: options['default-resource'] } : {}),
    ...(options['require-par'] ? { requirePushedAuthorizationRequests: true } : {}),
    ...(options['dpop-bound'] ? { dpopBoundAccessTokens: true } : {}),
    ...(options['exchange-resource'] ? { tokenExchangeResources: [...new Set(options['exchange-resource'])] } : {}),
    ...(options['first-party'] ? { firstParty: true } : {}),
    ...(options['logout-ends-offline-grants'] ? { logoutEndsOfflineGrants: true } : {}),
    ...(options['backchannel-logout-uri'] ? { backchannelLogoutUri: options['backchannel-logout-uri'], backchannelLogoutSessionRequired: true } : {}),
  };
}
