import type { Config } from '../config/load-config.js';
import { INITIAL_ACCESS_TOKEN_ID_PATTERN, INITIAL_ACCESS_TOKEN_MAX_SECONDS } from '../domain/clients/initial-access-tokens.js';
import { withServices } from './cli-services.js';
import { CliError } from './cli-error.js';
import { operatorOrigin } from './operator-origin.js';
import { asUsageError } from './users-command.js';

/** Options of `gatehouse initial-access-tokens`, merged into the CLI's one parseArgs call. */
export const INITIAL_ACCESS_TOKENS_OPTIONS = {
  'expires-in': { type: 'string' },
  reusable: { type: 'boolean' },
} as const;

export interface InitialAccessTokensOptions {
  json?: boolean;
  'expires-in'?: string;
  reusable?: boolean;
}

const DEFAULT_LIFETIME_SECONDS = 86_400;
const MIN_LIFETIME_SECONDS = 60;

export const INITIAL_ACCESS_TOKENS_HELP = `gatehouse initial-access-tokens create [--expires-in SECONDS] [--reusable] [--json]
                                | list [--json] | revoke ID [--json]
  Initial access tokens let someone register a client dynamically (POST /reg with Authorization: Bearer <token>)
  when GATEHOUSE_DYNAMIC_REGISTRATION=initial-access-token; the clients get GATEHOUSE_DYNAMIC_CLIENT_RESOURCES.
  create prints the token once (only its SHA-256, its ID, is stored); it expires after --expires-in seconds
  (default ${DEFAULT_LIFETIME_SECONDS}, ${MIN_LIFETIME_SECONDS} to ${INITIAL_ACCESS_TOKEN_MAX_SECONDS}) and is good for one registration unless --reusable.
  list shows the unexpired tokens (never their values); revoke ID ends one (clients it registered stay).
  The same rules as /api/v1/initial-access-tokens, audited as the operator.`;

/** `gatehouse initial-access-tokens …`: the management API's /initial-access-tokens for operators at a shell. */
export async function runInitialAccessTokensCommand(args: string[], options: InitialAccessTokensOptions, config: Config, out: (data: unknown, text: string) => void): Promise<void> {
  const [sub, id, ...extra] = args;
  if (extra.length) throw new CliError(`unexpected argument(s): ${extra.join(' ')}\n${INITIAL_ACCESS_TOKENS_HELP}`, 2);
  if (sub === 'revoke') {
    if (!id) throw new CliError(`expected the ID of a token (from list)\n${INITIAL_ACCESS_TOKENS_HELP}`, 2);
    if (!new RegExp(INITIAL_ACCESS_TOKEN_ID_PATTERN).test(id)) throw new CliError(`ID ${JSON.stringify(id)}: expected the 43-character ID list shows (not the token)`, 2);
  } else if (sub === 'create' || sub === 'list') {
    if (id) throw new CliError(`${sub} takes no argument\n${INITIAL_ACCESS_TOKENS_HELP}`, 2);
  } else {
    throw new CliError(`unknown initial-access-tokens command '${sub ?? ''}'\n${INITIAL_ACCESS_TOKENS_HELP}`, 2);
  }
  const lifetime = sub === 'create' ? expiresIn(options['expires-in']) : 0;

  return withServices(config, async ({ initialAccessTokens }) => {
    try {
      if (sub === 'create') {
        const created = await initialAccessTokens.create(operatorOrigin(), { expiresInSeconds: lifetime, singleUse: !options.reusable });
        return out(created, `created ${created.id} (${created.singleUse ? 'single use' : 'reusable'}, expires ${created.expiresAt})\n`
          + `initial access token (shown only now; hand it to the registrant): ${created.token}`);
      }
      if (sub === 'revoke') {
        await initialAccessTokens.revoke(operatorOrigin(), id!);
        return out({ id, revoked: true }, `revoked ${id}`);
      }
      const tokens = await initialAccessTokens.list();
      return out(tokens, [
        `${'ID'.padEnd(43)}  USE         CREATED                   EXPIRES`,
        ...tokens.map((t) => `${t.id}  ${(t.singleUse ? (t.used ? 'used' : 'single') : 'reusable').padEnd(10)}  ${t.createdAt}  ${t.expiresAt}`),
      ].join('\n'));
    } catch (error) {
      throw asUsageError(error);
    }
  });
}

function expiresIn(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIFETIME_SECONDS;
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || seconds < MIN_LIFETIME_SECONDS || seconds > INITIAL_ACCESS_TOKEN_MAX_SECONDS) {
    throw new CliError(`--expires-in ${JSON.stringify(value)}: expected whole seconds between ${MIN_LIFETIME_SECONDS} and ${INITIAL_ACCESS_TOKEN_MAX_SECONDS}`, 2);
  }
  return seconds;
}
