import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { ConfigError, loadConfig } from '../config/load-config.js';
import { AppError } from '../domain/errors.js';
import { parseImportDocument } from '../config/import-document.js';
import { generateKeyFile, keyFilePath, readKeyFile, rotateKeyFile } from '../oidc/keys.js';
import { describeKeys, keyRetainSeconds } from '../oidc/signing-keys.js';
import { withServices } from './cli-services.js';
import { CliError } from './cli-error.js';
import { CLIENTS_HELP, CLIENTS_OPTIONS, runClientsCommand } from './clients-command.js';
import { INITIAL_ACCESS_TOKENS_HELP, INITIAL_ACCESS_TOKENS_OPTIONS, runInitialAccessTokensCommand } from './initial-access-tokens-command.js';
import { LABS_HELP, LABS_OPTIONS, runLabsCommand } from './labs-command.js';
import { USERS_HELP, USERS_OPTIONS, runUsersCommand } from './users-command.js';
import { operatorOrigin } from './operator-origin.js';

const USAGE = `gatehouse — operate a Gatehouse deployment (settings come from the same environment as the server)

usage:
  gatehouse migrate                 apply pending database migrations
  gatehouse import FILE             apply a declarative import file (config/import.schema.json)
  gatehouse keys generate           create the first signing key in GATEHOUSE_KEYS_DIR
  gatehouse keys rotate [--activate-in SECONDS]
                                    add a new signing key (published at once, signing after SECONDS, default 0);
                                    retired keys stay published until their tokens expire
  gatehouse keys list               show the signing keys
  gatehouse users block USERNAME --reason TEXT
                                    block a user at once: grants and sessions end, login is refused
  gatehouse users restore USERNAME  let a blocked user sign in again
  gatehouse users create USERNAME [--email E] [--password-stdin | --password P] [--admin]
                                    create a user (the API's password policy and uniqueness rules apply)
  gatehouse users list [--lab LAB]  show users (never their passwords)
  gatehouse users set-password USERNAME
                                    set a user's password, read from standard input
  gatehouse users reset-factors USERNAME
                                    remove a user's second factors and recovery codes (they enrol again)
  gatehouse labs create LAB_ID --name NAME
                                    create a lab
  gatehouse labs list               show the labs with their member counts
  gatehouse labs add-member LAB_ID USERNAME --role admin|member|viewer
                                    add a user to a lab
  gatehouse clients create CLIENT_ID [--grant G]... [--resource URI]... [--scope "a b"]
                                    create a client; a confidential one's secret is printed once
  gatehouse clients list            show the clients (never their secrets)
  gatehouse clients rotate-secret CLIENT_ID
                                    print a new secret; the previous one works for the configured overlap
  gatehouse initial-access-tokens create [--expires-in SECONDS] [--reusable]
                                    create a token for dynamic client registration; printed once
  gatehouse initial-access-tokens list
                                    show the unexpired initial access tokens (never their values)
  gatehouse initial-access-tokens revoke ID
                                    end an initial access token
  gatehouse audit verify            check the audit log's hash chain; names the first broken row
  gatehouse audit export            print the audit log as JSON lines

options:
  --json     print machine-readable output
  --help     show help for a command`;

const HELP: Record<string, string> = {
  migrate: 'gatehouse migrate [--json]\n  Applies pending migrations to DATABASE_URL (or the embedded database in GATEHOUSE_DATA_DIR).',
  import: 'gatehouse import FILE [--json]\n  Validates FILE against config/import.schema.json and applies it in one transaction through the\n  management API\'s rules, audited as the operator; idempotent (only what differs is changed).',
  users: USERS_HELP,
  labs: LABS_HELP,
  clients: CLIENTS_HELP,
  'initial-access-tokens': INITIAL_ACCESS_TOKENS_HELP,
  audit: 'gatehouse audit verify|export [--json]\n  verify walks the chain in order and exits 1 naming the first row whose link or content does not match.',
  keys: 'gatehouse keys generate|rotate [--activate-in SECONDS]|list [--json]\n  rotate --activate-in 60 publishes the new key a minute before it signs, so services caching JWKS know it first.\n  Manages the private signing JWKS at GATEHOUSE_KEYS_DIR/jwks.json (mode 0600).\n  Running nodes pick up a rotated file within GATEHOUSE_KEYS_RELOAD_SECONDS.',
};


/** A 43-character ID as oidc-provider makes them (URL-safe characters) may begin with '-'. */
const DASHED_ID = /^-[A-Za-z0-9_-]{42}$/;

/**
 * parseArgs takes any argument beginning with '-' for an option, so an ID such as
 * `-p3Xw…` (one in 64 of them) would be refused as an unknown option: such arguments are
 * handed on as positionals, after a `--`, in their order.
 */
function idsAsPositionals(argv: string[]): string[] {
  const end = argv.indexOf('--');
  const head = end === -1 ? argv : argv.slice(0, end);
  const ids = head.filter((arg) => DASHED_ID.test(arg));
  if (!ids.length) return argv;
  return [...head.filter((arg) => !DASHED_ID.test(arg)), '--', ...ids, ...(end === -1 ? [] : argv.slice(end + 1))];
}

async function run(argv: string[], io: CommandLineIo, print: (text: string) => void): Promise<number | void> {
  const { values, positionals } = parseArgs({
    args: idsAsPositionals(argv),
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      'activate-in': { type: 'string' },
      reason: { type: 'string' },
      ...CLIENTS_OPTIONS,
      ...USERS_OPTIONS,
      ...LABS_OPTIONS,
      ...INITIAL_ACCESS_TOKENS_OPTIONS,
    },
  });
  const [command, ...rest] = positionals;
  if (!command) {
    if (values.help) return print(USAGE);
    throw new CliError(`missing command\n${USAGE}`, 2);
  }
  if (values.help) {
    if (!HELP[command]) throw new CliError(`unknown command '${command}'\n${USAGE}`, 2);
    return print(HELP[command]!);
  }
  const config = loadConfig(io.env);
  const out = (data: unknown, text: string) => print(values.json ? JSON.stringify(data) : text);

  switch (command) {
    case 'migrate': {
      expectArgs(rest, 0, HELP.migrate!);
      const applied = await withServices(config, (_services, storage) => storage.migrateLatest(), { store: false });
      return out({ applied }, applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    }
    case 'import': {
      expectArgs(rest, 1, HELP.import!);
      const file = rest[0]!;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
      }
      const doc = parseImportDocument(text, file);
      const summary = await withServices(config, async (services, storage) => {
        if (config.migrateOnStart) await storage.migrateLatest();
        await services.ensureApiResource();
        // Audited as the operator who ran it, as the CLI's other changes are.
        return services.applyImport(doc, operatorOrigin());
      });
      return out(summary, `imported ${summary.resources} resources, ${summary.clients} clients, ${summary.labs} labs, ${summary.users} users`);
    }
    case 'keys': {
      const [sub, ...extra] = rest;
      expectArgs(extra, 0, HELP.keys!);
      if (sub === 'generate') {
        const file = await generateKeyFile(config.keysDir);
        return out({ kid: file.keys[0]!.kid, path: keyFilePath(config.keysDir) }, `generated ${file.keys[0]!.kid} in ${keyFilePath(config.keysDir)}`);
      }
      if (sub === 'rotate') {
        const retain = keyRetainSeconds(config.idTokenTtlSeconds);
        const activateIn = values['activate-in'] === undefined ? 0 : Number(values['activate-in']);
        if (!Number.isInteger(activateIn) || activateIn < 0 || activateIn > 86_400) {
          throw new CliError(`--activate-in = ${JSON.stringify(values['activate-in'])}: expected whole seconds between 0 and 86400`, 2);
        }
        const { added, activatesAt, removed } = await rotateKeyFile(config.keysDir, retain, { activateInSeconds: activateIn });
        const when = activateIn ? `published now, signing from ${activatesAt}` : 'signing now';
        return out({ added, activates_at: activatesAt, removed }, `${added}: ${when}${removed.length ? `; removed expired ${removed.join(', ')}` : ''}`);
      }
      if (sub === 'list') {
        const file = readKeyFile(config.keysDir);
        if (!file) throw new CliError(`no keys at ${keyFilePath(config.keysDir)}; run \`gatehouse keys generate\``);
        const rows = describeKeys(file).map(({ kid, alg, status }) => ({ kid, alg, status, ...file.meta[kid] }));
        return out(rows, rows.map((r) => `${r.kid}  ${r.status.padEnd(9)}  created ${r.created_at ?? '?'}${r.activates_at ? `  signs from ${r.activates_at}` : ''}${r.retired_at ? `  retires ${r.retired_at}` : ''}`).join('\n'));
      }
      throw new CliError(`unknown keys command '${sub ?? ''}'\n${HELP.keys}`, 2);
    }
    case 'users': {
      if (rest[0] !== 'block' && rest[0] !== 'restore') return runUsersCommand(rest, values, config, out, io.stdin);
      const [sub, username, ...extra] = rest;
      expectArgs(extra, 0, HELP.users!);
      if ((sub !== 'block' && sub !== 'restore') || !username) throw new CliError(`expected block or restore and a username\n${HELP.users}`, 2);
      if (sub === 'block' && !values.reason?.trim()) throw new CliError('--reason is required when blocking (it goes to the audit log)', 2);
      return withServices(config, async ({ users }) => {
        const user = await users.findByUsername(username);
        if (!user) throw new CliError(`no user named ${username}`);
        // The API's use case: the status change and its audit row in one transaction, then access ends.
        if (sub === 'block') await users.block(operatorOrigin(), user.id, values.reason!.trim(), { mayGrantAdmin: true });
        else await users.restore(operatorOrigin(), user.id);
        return out({ id: user.id, username: user.username, status: sub === 'block' ? 'blocked' : 'active' }, `${user.username} ${sub === 'block' ? 'blocked' : 'restored'}`);
      });
    }
    case 'clients':
      return runClientsCommand(rest, values, config, out);
    case 'initial-access-tokens':
      return runInitialAccessTokensCommand(rest, values, config, out);
    case 'labs':
      return runLabsCommand(rest, values, config, out);
    case 'audit': {
      const [sub, ...extra] = rest;
      expectArgs(extra, 0, HELP.audit!);
      if (sub === 'verify') {
        const check = await withServices(config, ({ auditTrail }) => auditTrail.verify(), { store: false });
        out(check, check.ok ? `audit chain intact: ${check.rows} rows` : `audit chain broken at row ${check.brokenAt}: ${check.reason}`);
        return check.ok ? 0 : 1;
      }
      if (sub === 'export') {
        await withServices(config, async ({ auditTrail }) => {
          for await (const row of auditTrail.export()) print(JSON.stringify({ ...row, at: row.at.toISOString() }));
        }, { store: false });
        return;
      }
      throw new CliError(`unknown audit command '${sub ?? ''}'\n${HELP.audit}`, 2);
    }
    default:
      throw new CliError(`unknown command '${command}'\n${USAGE}`, 2);
  }
}

function expectArgs(args: string[], count: number, help: string): void {
  if (args.length !== count) throw new CliError(`expected ${count} argument(s), got ${args.length}\n${help}`, 2);
}


/** Where a command's input and output go: the process's own in the `gatehouse` binary, buffers in tests. */
export interface CommandLineIo {
  /** The settings, as the server reads them (only src/config reads them). */
  env: NodeJS.ProcessEnv;
  /** Piped text (`--password-stdin`, `set-password`); a TTY is refused. */
  stdin: AsyncIterable<string | Buffer> & { isTTY?: boolean };
  stdout(text: string): void;
  stderr(text: string): void;
}

/**
 * Runs one `gatehouse` command and answers its exit code: 0 done, 1 refused or failed, 2 a usage
 * or configuration error. Errors become one line on stderr; nothing here exits the process.
 */
export async function runCommandLine(argv: string[], io: CommandLineIo): Promise<number> {
  try {
    return (await run(argv, io, (text) => { io.stdout(`${text}\n`); })) ?? 0;
  } catch (error) {
    const exitCode = error instanceof CliError ? error.exitCode : error instanceof ConfigError ? 2 : 1;
    const message = error instanceof CliError || error instanceof ConfigError || (error instanceof AppError && error.expose)
      ? error.message
      : `${(error as Error).name}: ${(error as Error).message}`;
    io.stderr(`gatehouse: ${message}\n`);
    return exitCode;
  }
}
