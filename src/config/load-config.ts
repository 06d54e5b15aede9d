import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

import { createAjv, describeErrors } from './ajv.js';
import { createBranding, type BrandingSettings } from './branding.js';
import { parseRedisUrl } from './redis-target.js';
import { settingsSchema } from './settings-schema.js';
import { createUserAttributeSchema } from './user-attributes.js';

import type { SchemaType } from '../domain/schemas/schema-type.js';

type Properties = typeof settingsSchema['properties'];
/** The settings as validated: defaults applied, the rest possibly unset. */
type Settings = SchemaType<typeof settingsSchema>;
/** Settings whose default depends on another setting: always set once loaded. */
type Derived = 'issuer' | 'apiResource' | 'migrateOnStart' | 'outboundAllowHttp';

/** Gatehouse's settings, typed from the schema that validates them. */
export type Config = Omit<Settings, Derived> & { [K in Derived]-?: NonNullable<Settings[K]> };

/** A setting that cannot be used. `message` is the one line start-up prints before exiting 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const envNames = Object.fromEntries(
  Object.entries(settingsSchema.properties).map(([key, spec]) => [key, spec['x-env']]),
) as Record<keyof Properties, string>;

/** argon2id memory (KiB) × passes below which production refuses to start: OWASP's m=19456, t=2. */
const MIN_PRODUCTION_HASH_WORK = 19456 * 2;

const ajv = createAjv({ coerceTypes: true });
const validate = ajv.compile<Settings>(settingsSchema);

/**
 * Settings come from (lowest first) schema defaults, the JSON file named by GATEHOUSE_CONFIG
 * (default config/gatehouse.json when present), then environment variables.
 * This is the only reader of process.env in Gatehouse.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const fromFile = readConfigFile(env.GATEHOUSE_CONFIG, cwd);
  const sources = new Map<string, string>();
  const raw: Record<string, unknown> = { ...fromFile.values };
  for (const key of Object.keys(fromFile.values)) sources.set(key, `${fromFile.path}: ${key}`);

  for (const [key, envName] of Object.entries(envNames)) {
    const value = env[envName];
    if (value === undefined || value === '') continue;
    sources.set(key, envName);
    raw[key] = key === 'userAttributes' || key === 'branding' ? parseJsonSetting(envName, value) : (settingsSchema.properties[key as keyof Properties] as { type?: string }).type === 'array' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
  }

  if (!validate(raw)) {
    const lines = describeErrors(validate.errors, raw, (pointer) => {
      const key = pointer.split('/')[1] ?? '';
      return sources.get(key) ?? envNames[key as keyof Properties] ?? key;
    });
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }

  try {
    createUserAttributeSchema(raw.userAttributes as Record<string, unknown>);
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${sources.get('userAttributes') ?? 'userAttributes'}: ${(error as Error).message}`);
  }

  try {
    createBranding(raw.branding as BrandingSettings);
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${sources.get('branding') ?? 'branding'}: ${(error as Error).message}`);
  }

  if (raw.redisUrl) {
    try {
      parseRedisUrl(raw.redisUrl);
    } catch (error) {
      // The URL may hold a password: name the setting, not its value.
      throw new ConfigError(`invalid configuration: ${sources.get('redisUrl') ?? 'redisUrl'}: ${(error as Error).message}`);
    }
  }
  // Cheap hashing keeps tests fast; a production deployment never gets less than OWASP's minimum work.
  if (raw.environment === 'production' && raw.passwordHashMemoryKib * raw.passwordHashTimeCost < MIN_PRODUCTION_HASH_WORK) {
    throw new ConfigError(`invalid configuration: ${envNames.passwordHashMemoryKib} × ${envNames.passwordHashTimeCost} = ${raw.passwordHashMemoryKib} × ${raw.passwordHashTimeCost}: must be at least ${MIN_PRODUCTION_HASH_WORK} (19456 KiB × 2) when NODE_ENV=production`);
  }

  const issuer = raw.issuer ?? `http://localhost:${raw.port}`;
  return {
    ...raw,
    issuer,
    apiResource: raw.apiResource ?? `${issuer}/api`,
    migrateOnStart: raw.migrateOnStart ?? raw.environment !== 'production',
    outboundAllowHttp: raw.outboundAllowHttp ?? raw.environment !== 'production',
    dataDir: resolve(cwd, raw.dataDir),
    keysDir: resolve(cwd, raw.keysDir),
    ...(raw.importFile ? { importFile: resolve(cwd, raw.importFile) } : {}),
    ...(raw.outboundCaFile ? { outboundCaFile: resolve(cwd, raw.outboundCaFile) } : {}),
  };
}

/**
 * What only the server needs (the CLI's migrate, keys and import do not): cookie and DPoP nonce
 * secrets in production, where they must be the same on every node.
 */
export function assertServerConfig(settings: Config): void {
  const workers = workerCount(settings);
  // Each worker would open its own PGlite directory or in-process store: split state, corrupt files.
  if (workers > 1 && !(settings.databaseUrl && settings.redisUrl)) {
    throw new ConfigError(`invalid configuration: ${envNames.workers} = ${JSON.stringify(settings.workers)} (${workers} workers) needs DATABASE_URL and REDIS_URL: the embedded database and store belong to one process; set ${envNames.workers}=1 or configure both servers`);
  }
  if (settings.environment !== 'production') return;
  // Secrets every node must share: generating one per node would break sessions and DPoP nonces across nodes.
  for (const key of ['cookieKeys', 'dpopNonceSecret', 'factorSecret'] as const) {
    if (!settings[key]) throw new ConfigError(`invalid configuration: ${envNames[key]} = (unset): is required when NODE_ENV=production`);
  }
}

/** How many worker processes `workers` asks for (`auto`: one per CPU this process may use). */
export function workerCount(settings: Pick<Config, 'workers'>): number {
  return settings.workers === 'auto' ? availableParallelism() : Number(settings.workers);
}

function readConfigFile(explicit: string | undefined, cwd: string): { path: string; values: Record<string, unknown> } {
  const path = resolve(cwd, explicit ?? 'config/gatehouse.json');
  if (!explicit && !existsSync(path)) return { path, values: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`invalid configuration: GATEHOUSE_CONFIG = ${JSON.stringify(explicit)}: cannot read file (${(cause as Error).message})`);
  }
  try {
    const values = JSON.parse(text) as unknown;
    if (values === null || typeof values !== 'object' || Array.isArray(values)) throw new Error('not a JSON object');
    return { path, values: values as Record<string, unknown> };
  } catch (cause) {
    throw new ConfigError(`invalid configuration: ${path}: expected a JSON object (${(cause as Error).message})`);
  }
}

/** The settings table README shows, generated from the schema so it cannot drift. */
export function settingsTable(): string {
  const rows = Object.entries(settingsSchema.properties).map(([key, spec]) => {
    const s = spec as { 'x-env': string; default?: unknown; description: string };
    const dflt = s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``;
    return `| \`${s['x-env']}\` | \`${key}\` | ${dflt} | ${s.description} |`;
  });
  return ['| environment | config file key | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** A setting given as JSON in an environment variable; a bad one names the variable. */
function parseJsonSetting(envName: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${envName}: expected JSON (${(error as Error).message})`);
  }
}
