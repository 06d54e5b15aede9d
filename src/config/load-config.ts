import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { createAjv, describeErrors } from './ajv.js';
import { settingsSchema } from './settings-schema.js';

type Schema = typeof settingsSchema;
type Properties = Schema['properties'];

export interface Config {
  environment: 'development' | 'production' | 'test';
  port: number;
  host: string;
  issuer: string;
  databaseUrl?: string;
  databasePoolMax: number;
  redisUrl?: string;
  redisKeyPrefix: string;
  dataDir: string;
  keysDir: string;
  keysReloadSeconds: number;
  importFile?: string;
  migrateOnStart: boolean;
  cookieKeys?: string[];
  refreshTokenReuseGraceSeconds: number;
  refreshTokenTtlSeconds: number;
  grantTtlSeconds: number;
  accessTokenTtlSeconds: number;
  idTokenTtlSeconds: number;
  sessionTtlSeconds: number;
  trustProxy: boolean;
  loginMaxFailures: number;
  loginLockoutSeconds: number;
  apiResource: string;
  passwordMinLength: number;
  selfRegistration: boolean;
  clientSecretOverlapSeconds: number;
  clientCacheSeconds: number;
  resourceCacheSeconds: number;
  cacheMaxEntries: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

/** A setting that cannot be used. `message` is the one line start-up prints before exiting 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const envNames = Object.fromEntries(
  Object.entries(settingsSchema.properties).map(([key, spec]) => [key, spec['x-env']]),
) as Record<keyof Properties, string>;

const ajv = createAjv({ coerceTypes: true });
const validate = ajv.compile(settingsSchema);

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
    raw[key] = key === 'cookieKeys' ? value.split(',').map((s) => s.trim()) : value;
  }

  if (!validate(raw)) {
    const lines = describeErrors(validate.errors, raw, (pointer) => {
      const key = pointer.split('/')[1] ?? '';
      return sources.get(key) ?? envNames[key as keyof Properties] ?? key;
    });
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }

  const settings = raw as unknown as Config;
  settings.issuer ??= `http://localhost:${settings.port}`;
  settings.apiResource ??= `${settings.issuer}/api`;
  settings.migrateOnStart ??= settings.environment !== 'production';
  settings.dataDir = resolve(cwd, settings.dataDir);
  settings.keysDir = resolve(cwd, settings.keysDir);
  if (settings.importFile) settings.importFile = resolve(cwd, settings.importFile);
  return settings;
}

/**
 * What only the server needs (the CLI's migrate, keys and import do not): cookie secrets in
 * production, where they must be the same on every node.
 */
export function assertServerConfig(settings: Config): void {
  if (settings.environment === 'production' && !settings.cookieKeys) {
    throw new ConfigError(`invalid configuration: ${envNames.cookieKeys} = (unset): is required when NODE_ENV=production`);
  }
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
