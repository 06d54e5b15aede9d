
import { createAjv } from '../config/ajv.js';
import type { Config } from '../config/load-config.js';
import { ValidationError } from '../domain/errors.js';
import { operatorOrigin } from './operator-origin.js';
import { withServices } from './cli-services.js';
import type { DirectoryUser } from '../domain/ports/user-repository.js';
import { CliError } from './cli-error.js';
import type { CommandLineIo } from './command-line.js';

/** Options of `gatehouse users` (create, list, set-password), merged into the CLI's one parseArgs call. */
export const USERS_OPTIONS = {
  email: { type: 'string' },
  'given-name': { type: 'string' },
  'family-name': { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  admin: { type: 'boolean' },
  lab: { type: 'string' },
} as const;

export interface UsersOptions {
  json?: boolean;
  email?: string;
  'given-name'?: string;
  'family-name'?: string;
  password?: string;
  'password-stdin'?: boolean;
  admin?: boolean;
  lab?: string;
}

export const USERS_HELP = `gatehouse users create USERNAME [--email E] [--given-name N] [--family-name N] [--password-stdin | --password P] [--admin] [--json]
                | list [--lab LAB] [--json]
                | set-password USERNAME              (reads the password from standard input)
                | reset-factors USERNAME             (removes every second factor and recovery code; audited)
                | block USERNAME --reason TEXT | restore USERNAME [--json]
  create and set-password apply the same rules as the management API: the password policy
  (GATEHOUSE_PASSWORD_MIN_LENGTH, common passwords refused) and unique usernames and emails in any case.
  Prefer --password-stdin to --password: a command line is visible to other users of the machine.
  Acts on DATABASE_URL and REDIS_URL directly (with the embedded database, stop the server first).`;


/** A use case's validation error, for a shell: one line naming the fields, exit code 2 (the input is wrong, not the system). */
export function asUsageError(error: unknown): unknown {
  if (!(error instanceof ValidationError)) return error;
  // The message often says it already ("the password must be at least 12 characters long").
  const fields = error.fields.filter((e) => !error.message.includes(e.detail)).map((e) => (e.field ? `${e.field} ${e.detail}` : e.detail)).join('; ');
  return new CliError(fields ? `${error.message}: ${fields}` : error.message, 2);
}

const isEmail = createAjv().compile({ type: 'string', format: 'email', maxLength: 254 });

/** Reads a password piped on standard input; the one trailing newline (from echo or a file) is not part of it. */
async function readPasswordFromStdin(stdin: CommandLineIo['stdin']): Promise<string> {
  if (stdin.isTTY) throw new CliError('the password is read from standard input: pipe it in (e.g. from a password manager)', 2);
  let text = '';
  for await (const chunk of stdin) text += chunk;
  const password = text.replace(/\r?\n$/, '');
  if (!password) throw new CliError('no password on standard input', 2);
  return password;
}

const labsText = (user: DirectoryUser) => user.labs.map((l) => `${l.labId}(${l.role}${l.status === 'active' ? '' : `, ${l.status}`})`).join(' ') || '-';

/** `gatehouse users create|list|set-password`: the management API's user rules, for operators at a shell. */
export async function runUsersCommand(args: string[], options: UsersOptions, config: Config, out: (data: unknown, text: string) => void, stdin: CommandLineIo['stdin']): Promise<void> {
  const [sub, username, ...extra] = args;
  if (extra.length) throw new CliError(`unexpected argument(s): ${extra.join(' ')}\n${USERS_HELP}`, 2);
  if (sub === 'create' || sub === 'set-password' || sub === 'reset-factors') {
    if (!username) throw new CliError(`expected a username\n${USERS_HELP}`, 2);
  } else if (sub === 'list') {
    if (username) throw new CliError(`list takes no username\n${USERS_HELP}`, 2);
  } else {
    throw new CliError(`unknown users command '${sub ?? ''}'\n${USERS_HELP}`, 2);
  }
  if (sub === 'create') {
    if (options.password !== undefined && options['password-stdin']) throw new CliError('give --password or --password-stdin, not both', 2);
    if (options.email !== undefined && !isEmail(options.email)) throw new CliError(`--email ${JSON.stringify(options.email)}: expected an email address`, 2);
  }
  const password = (sub === 'create' && options['password-stdin']) || sub === 'set-password' ? await readPasswordFromStdin(stdin) : options.password;

  return withServices(config, async ({ users, resetFactors }) => {
    try {
      if (sub === 'reset-factors') {
        const user = await users.findByUsername(username!);
        if (!user) throw new CliError(`no user named ${username}`);
        const { removed } = await resetFactors(operatorOrigin(), user.id, { mayGrantAdmin: true });
        return out({ id: user.id, username: user.username, factorsRemoved: removed }, `${removed} second factor(s) and every recovery code of ${user.username} removed`);
      }
      if (sub === 'create') {
        const user = await users.create(operatorOrigin(), {
          username: username!, email: options.email, givenName: options['given-name'], familyName: options['family-name'], password, isAdmin: options.admin ?? false,
        }, { mayGrantAdmin: true });
        return out(user, `created ${user.username} (${user.id})${user.isAdmin ? ', platform admin' : ''}${password === undefined ? '; no password yet: set one with `gatehouse users set-password`' : ''}`);
      }
      if (sub === 'set-password') {
        const user = await users.findByUsername(username!);
        if (!user) throw new CliError(`no user named ${username}`);
        await users.setPassword(operatorOrigin(), user.id, password!, { mayGrantAdmin: true });
        return out({ id: user.id, username: user.username, passwordSet: true }, `password set for ${user.username}`);
      }
      const all: DirectoryUser[] = [];
      for (let offset = 0; ; offset += 200) {
        const page = await users.list(options.lab === undefined ? {} : { lab: options.lab }, { limit: 200, offset });
        all.push(...page.items);
        if (all.length >= page.total || !page.items.length) break;
      }
      const width = Math.max(8, ...all.map((u) => u.username.length));
      return out(all, [
        `${'USERNAME'.padEnd(width)}  ${'STATUS'.padEnd(7)}  ${'ADMIN'.padEnd(5)}  ${'EMAIL'.padEnd(30)}  LABS`,
        ...all.map((u) => `${u.username.padEnd(width)}  ${u.status.padEnd(7)}  ${(u.isAdmin ? 'yes' : '').padEnd(5)}  ${(u.email ?? '-').padEnd(30)}  ${labsText(u)}`),
      ].join('\n'));
    } catch (error) {
      throw asUsageError(error);
    }
  });
}

