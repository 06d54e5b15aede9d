import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import pg from 'pg';

export interface BenchSandbox {
  /** Environment for a Gatehouse child: storage, keys and data live only in this sandbox. */
  env: Record<string, string>;
  describe: string;
  dispose(): Promise<void>;
}

export interface ServerUrls {
  /** An existing database the bench connects to in order to create and drop its own. */
  adminDatabaseUrl: string;
  redisUrl: string;
}

/**
 * What test/helpers/harness.ts does for tests, for one bench run: a fresh database and a
 * unique Redis key prefix (servers), or a fresh data directory (embedded). Fresh state keeps
 * runs comparable: no tables bloated by an earlier run, no revocations left in Redis.
 */
export async function createBenchSandbox(servers: ServerUrls | undefined): Promise<BenchSandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  // An explicit, empty config file: a developer's config/gatehouse.json must not change the figures.
  const configFile = join(dir, 'gatehouse.json');
  writeFileSync(configFile, '{}\n');
  const env: Record<string, string> = {
    GATEHOUSE_CONFIG: configFile,
    GATEHOUSE_DATA_DIR: join(dir, 'data'),
    GATEHOUSE_KEYS_DIR: join(dir, 'keys'),
  };
  if (!servers) {
    return {
      env,
      describe: `embedded PGlite in ${env.GATEHOUSE_DATA_DIR} + in-process store`,
      async dispose() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  const name = `gh_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: servers.adminDatabaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(servers.adminDatabaseUrl);
  url.pathname = `/${name}`;
  env.DATABASE_URL = url.href;
  env.REDIS_URL = servers.redisUrl;
  env.REDIS_KEY_PREFIX = `${name}:`;
  return {
    env,
    describe: `PostgreSQL database ${name} at ${url.host} + Redis ${new URL(servers.redisUrl).host} (key prefix ${name}:)`,
    async dispose() {
      const client = new pg.Client({ connectionString: servers.adminDatabaseUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
      await deleteRedisPrefix(servers.redisUrl, `${name}:`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
