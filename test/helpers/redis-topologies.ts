import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { Redis } from 'ioredis';

import { eventually } from './eventually.js';

/**
 * Real Redis Sentinel and Cluster deployments for tests, made of Debian's `redis-server` on
 * loopback ports, in a temporary directory, without persistence. Each is stopped (SIGKILL: they
 * hold nothing worth keeping) by `stop()`, or at the latest when the test process exits.
 */
export interface RedisTopology {
  /** REDIS_URL for Gatehouse. */
  url: string;
  stop(): Promise<void>;
}

export interface RedisSentinelSetup extends RedisTopology {
  masterName: string;
  /** The data nodes: [the first master, its replica]. */
  dataPorts: [number, number];
  sentinelPorts: number[];
  /** Kills the data node on `port` with SIGKILL. */
  kill(port: number): void;
  /** The master's port as the sentinels report it. */
  currentMasterPort(): Promise<number>;
}

const run = promisify(execFile);
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const taken = new Set<number>();
/**
 * A free loopback port; with `bus`, port + 10000 is free too (a Cluster node's bus port). Drawn
 * from 20000–39999, so never 3306 (MariaDB) or its bus twin.
 */
async function freeRedisPort(bus = false): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    if (taken.has(port) || (bus && taken.has(port + 10000))) continue;
    if (!(await bindable(port)) || (bus && !(await bindable(port + 10000)))) continue;
    taken.add(port);
    if (bus) taken.add(port + 10000);
    return port;
  }
}

function startServer(dir: string, args: string[]): ChildProcess {
  const child = spawn('redis-server', args, { cwd: dir, stdio: 'ignore' });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

const baseArgs = (dir: string, port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', join(dir, `${port}.log`)];

async function info(port: number, section: string): Promise<string> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await redis.info(section);
  } catch {
    return '';
  } finally {
    redis.disconnect();
  }
}

async function stopAll(children: ChildProcess[], dir: string): Promise<void> {
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  })));
  rmSync(dir, { recursive: true, force: true });
}

/** A Redis Cluster of three masters (no replicas), made with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<RedisTopology> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-cluster-'));
  const ports = [await freeRedisPort(true), await freeRedisPort(true), await freeRedisPort(true)];
  const children = ports.map((port) => startServer(dir, [...baseArgs(dir, port), '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '2000']));
  try {
    for (const port of ports) await eventually(async () => ((await info(port, 'server')) ? true : undefined), { what: `redis-server on ${port}` });
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-yes']);
    for (const port of ports) {
      await eventually(async () => {
        const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
        redis.on('error', () => {});
        try {
          await redis.connect();
          return (await redis.cluster('INFO')).includes('cluster_state:ok') ? true : undefined;
        } finally {
          redis.disconnect();
        }
      }, { what: `cluster state ok on ${port}`, intervalMs: 100 });
    }
  } catch (error) {
    await stopAll(children, dir);
    throw error;
  }
  return {
    url: `redis+cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`,
    stop: () => stopAll(children, dir),
  };
}

/**
 * One master, one replica and three sentinels (quorum 2) that judge a master down after 500 ms
 * of silence, so a failover takes a few seconds.
 */
export async function startRedisSentinel(): Promise<RedisSentinelSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-sentinel-'));
  const masterName = 'gatehouse-test';
  const [master, replica] = [await freeRedisPort(), await freeRedisPort()] as [number, number];
  const sentinelPorts = [await freeRedisPort(), await freeRedisPort(), await freeRedisPort()];
  const data = new Map<number, ChildProcess>();
  data.set(master, startServer(dir, baseArgs(dir, master)));
  data.set(replica, startServer(dir, [...baseArgs(dir, replica), '--replicaof', '127.0.0.1', String(master)]));
  const sentinels: ChildProcess[] = [];
  const children = () => [...data.values(), ...sentinels];
  try {
    await eventually(async () => ((await info(replica, 'replication')).includes('master_link_status:up') ? true : undefined), { what: 'the replica in sync', intervalMs: 50 });
    for (const port of sentinelPorts) {
      // A sentinel rewrites its configuration file, so each has its own.
      const file = join(dir, `sentinel-${port}.conf`);
      writeFileSync(file, [
        `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `logfile ${join(dir, `sentinel-${port}.log`)}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${master} 2`,
        `sentinel down-after-milliseconds ${masterName} 500`,
        `sentinel failover-timeout ${masterName} 3000`,
        `sentinel parallel-syncs ${masterName} 1`,
        '',
      ].join('\n'));
      const child = spawn('redis-server', [file, '--sentinel'], { cwd: dir, stdio: 'ignore' });
      live.add(child);
      child.once('exit', () => live.delete(child));
      sentinels.push(child);
    }
    // Ready once every sentinel has discovered the replica and the other sentinels.
    for (const port of sentinelPorts) {
      await eventually(async () => {
        const text = await info(port, 'sentinel');
        return text.includes(`slaves=1,sentinels=${sentinelPorts.length}`) ? true : undefined;
      }, { what: `sentinel ${port} ready`, intervalMs: 100 });
    }
  } catch (error) {
    await stopAll(children(), dir);
    throw error;
  }

  const askSentinels = async (): Promise<number> => {
    for (const port of sentinelPorts) {
      const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
      redis.on('error', () => {});
      try {
        await redis.connect();
        const [, masterPort] = (await redis.call('SENTINEL', 'get-master-addr-by-name', masterName)) as [string, string];
        return Number(masterPort);
      } catch {
        // next sentinel
      } finally {
        redis.disconnect();
      }
    }
    throw new Error('no sentinel answered');
  };

  return {
    url: `redis+sentinel://${sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',')}/${masterName}`,
    masterName,
    dataPorts: [master, replica],
    sentinelPorts,
    kill(port) {
      data.get(port)?.kill('SIGKILL');
    },
    currentMasterPort: askSentinels,
    stop: () => stopAll(children(), dir),
  };
}
