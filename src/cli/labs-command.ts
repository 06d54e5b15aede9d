import type { Config } from '../config/load-config.js';
import { labIdSchema, MEMBERSHIP_ROLES } from '../domain/schemas/lab-schemas.js';
import { withServices } from './cli-services.js';
import type { LabRecord } from '../domain/ports/lab-repository.js';
import { CliError } from './cli-error.js';
import { operatorOrigin } from './operator-origin.js';
import { asUsageError } from './users-command.js';

/** Options of `gatehouse labs`, merged into the CLI's one parseArgs call (`--name` is shared with `clients`). */
export const LABS_OPTIONS = {
  name: { type: 'string' },
  role: { type: 'string' },
} as const;

export interface LabsOptions {
  json?: boolean;
  name?: string;
  role?: string;
}

export const LABS_HELP = `gatehouse labs create LAB_ID --name NAME [--json]
               | list [--json]
               | add-member LAB_ID USERNAME --role ${MEMBERSHIP_ROLES.join('|')} [--json]
  The same rules as POST /api/v1/labs and /api/v1/labs/{labId}/members; every change is audited.
  Acts on DATABASE_URL directly (with the embedded database, stop the server first).`;

const labIdPattern = new RegExp(labIdSchema.pattern);

/** `gatehouse labs …`: the management API's lab rules, for operators at a shell. */
export async function runLabsCommand(args: string[], options: LabsOptions, config: Config, out: (data: unknown, text: string) => void): Promise<void> {
  const [sub, labId, username, ...extra] = args;
  const expected = { create: 1, list: 0, 'add-member': 2 }[sub ?? ''];
  if (expected === undefined) throw new CliError(`unknown labs command '${sub ?? ''}'\n${LABS_HELP}`, 2);
  const given = [labId, username, ...extra].filter((a) => a !== undefined).length;
  if (given !== expected) throw new CliError(`labs ${sub} expects ${expected} argument(s), got ${given}\n${LABS_HELP}`, 2);
  if (labId !== undefined && !labIdPattern.test(labId)) throw new CliError(`lab id ${JSON.stringify(labId)}: expected 1–128 of A–Z a–z 0–9 . _ : @ - (starting with a letter or digit)`, 2);
  if (sub === 'create' && !options.name?.trim()) throw new CliError('--name is required', 2);
  if (sub === 'add-member' && !(MEMBERSHIP_ROLES as readonly string[]).includes(options.role ?? '')) {
    throw new CliError(`--role ${options.role === undefined ? '(missing)' : JSON.stringify(options.role)}: expected one of ${MEMBERSHIP_ROLES.join(', ')}`, 2);
  }

  return withServices(config, async ({ labs, users }) => {
    try {
      if (sub === 'create') {
        const lab = await labs.create(operatorOrigin(), { id: labId!, name: options.name!.trim() });
        return out(lab, `created lab ${lab.id} (${lab.name})`);
      }
      if (sub === 'add-member') {
        const user = await users.findByUsername(username!);
        if (!user) throw new CliError(`no user named ${username}`);
        const member = await labs.addMember(operatorOrigin(), labId!, { userId: user.id, role: options.role as typeof MEMBERSHIP_ROLES[number] });
        return out(member, `${member.username} is now ${member.role} of ${member.labId}`);
      }
      const all: LabRecord[] = [];
      for (let offset = 0; ; offset += 200) {
        const page = await labs.list({}, { limit: 200, offset });
        all.push(...page.items);
        if (all.length >= page.total || !page.items.length) break;
      }
      const width = Math.max(6, ...all.map((l) => l.id.length));
      return out(all, [
        `${'LAB ID'.padEnd(width)}  ${'STATUS'.padEnd(9)}  ${'MEMBERS'.padEnd(7)}  NAME`,
        ...all.map((l) => `${l.id.padEnd(width)}  ${l.status.padEnd(9)}  ${String(l.memberCount).padEnd(7)}  ${l.name}`),
      ].join('\n'));
    } catch (error) {
      throw asUsageError(error);
    }
  });
}
