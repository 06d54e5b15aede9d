import { parseArgs } from 'node:util';

import { createPositiveFlag } from './positive-flag.js';

export interface LoadFlags {
  /** Every flag as given (or defaulted), including the script's own extras. */
  flags: {
    embedded: boolean;
    'database-url': string;
    'redis-url': string;
    only?: string;
    'cpu-prof'?: string;
    [extra: string]: string | boolean | undefined;
  };
  duration: number;
  rounds: number;
  connections: number;
  /** 0 for no warm-up. */
  warmup: number;
  /** Where the bench's own database and Redis prefix come from; undefined with --embedded. */
  servers?: { adminDatabaseUrl: string; redisUrl: string };
}

/**
 * The flags every load bench shares (duration, rounds, connections, warm-up, --only, embedded or
 * servers, --cpu-prof) plus the script's own string flags; --help prints `usage` and a bad value
 * stops the script with one line naming it (exit 2).
 */
export function parseLoadFlags(script: string, usage: string, options: {
  warmupDefault: string;
  scenarios: readonly string[];
  /** Longest round, and why (the tokens a round uses must outlive it). */
  maxDuration: { seconds: number; why: string };
  /** The script's own string flags, with their defaults. */
  extra?: Record<string, string | undefined>;
}): LoadFlags {
  const extra = Object.fromEntries(Object.entries(options.extra ?? {}).map(([name, fallback]) => [name, { type: 'string' as const, ...(fallback === undefined ? {} : { default: fallback }) }]));
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '10' },
      warmup: { type: 'string', default: options.warmupDefault },
      only: { type: 'string' },
      embedded: { type: 'boolean', default: false },
      'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
      'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', default: false },
      ...extra,
    },
  });
  const flags = values as LoadFlags['flags'];
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const positive = createPositiveFlag(script, usage);
  const duration = positive('duration', String(values.duration), false);
  const rounds = positive('rounds', String(values.rounds), true);
  const connections = positive('connections', String(values.connections), true);
  const warmup = Number(values.warmup) === 0 ? 0 : positive('warmup', String(values.warmup), false);
  if (flags.only !== undefined && !options.scenarios.includes(flags.only)) {
    process.stderr.write(`${script}: --only = ${JSON.stringify(flags.only)}: expected ${options.scenarios.join(' or ')}\n${usage}\n`);
    process.exit(2);
  }
  if (duration > options.maxDuration.seconds) {
    process.stderr.write(`${script}: --duration must be at most ${options.maxDuration.seconds} s (${options.maxDuration.why})\n`);
    process.exit(2);
  }
  return {
    flags, duration, rounds, connections, warmup,
    servers: flags.embedded ? undefined : { adminDatabaseUrl: flags['database-url'], redisUrl: flags['redis-url'] },
  };
}
