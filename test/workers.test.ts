import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';

import { packageRoot } from '../src/config/paths.js';
import { eventually } from './helpers/eventually.js';
import { backend, basic, CMS, createSandbox, startTestGatehouse, fixtureImport, freePort, mode, postForm, spawnGatehouse, type ChildGatehouse, type Sandbox } from './helpers/harness.js';

/** The JSON log lines a child wrote with this message. */
const logLines = (output: string, msg: string) => output.split('\n').flatMap((line) => {
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    return entry.msg === msg ? [entry] : [];
  } catch {
    return [];
  }
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('GATEHOUSE_WORKERS', () => {
  it('with the embedded database, more than one worker is refused at start with one line', async () => {
    const child = spawn(process.execPath, [join(packageRoot, 'dist/src/main.js')], {
      env: { PATH: process.env.PATH, NODE_ENV: 'test', GATEHOUSE_WORKERS: '2', PORT: '0', LOG_LEVEL: 'info', GATEHOUSE_DATA_DIR: '/nonexistent/gatehouse' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c) => { stderr += c; });
    child.stdout.on('data', (c) => { stdout += c; });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /^gatehouse: invalid configuration: GATEHOUSE_WORKERS = "2" \(2 workers\) needs DATABASE_URL and REDIS_URL[^\n]*\n$/);
  });

  it('stopping lets a request in flight finish: its answer arrives after close() began, and close() waits for it', async () => {
    const gh = await startTestGatehouse();
    const body = new URLSearchParams({ grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }).toString();
    const answer = new Promise<number>((resolve, reject) => {
      const req = request(`${gh.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length), authorization: basic(backend.id, backend.secret) },
      }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      // Half the body now: the request is in flight when the server is told to stop.
      req.write(body.slice(0, 10));
      setTimeout(() => {
        closing = gh.stop();
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 300);
    });
    let closing: Promise<void> | undefined;
    assert.equal(await answer, 200);
    await closing;
  });

  (mode === 'servers' ? describe : describe.skip)('two workers on Postgres and Redis', () => {
    let sandbox: Sandbox;
    let node: ChildGatehouse;
    let metricsPort: number;
    before(async () => {
      sandbox = await createSandbox();
      metricsPort = await freePort();
      node = await spawnGatehouse({ ...sandbox.env, GATEHOUSE_IMPORT: fixtureImport, GATEHOUSE_WORKERS: '2', GATEHOUSE_METRICS_PORT: String(metricsPort) });
      await eventually(async () => (logLines(node.output(), 'workers listening').length ? true : undefined), { timeoutMs: 60_000, what: 'two workers' });
    });
    after(async () => {
      await node?.stop();
      await sandbox?.dispose();
    });

    const issue = () => postForm(`${node.url}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
    const workerPids = () => logLines(node.output(), 'worker listening').map((l) => Number(l.pid));

    it('serves from both workers, sums their metrics on the metrics port, restarts a killed worker, and exits 0 on SIGTERM', async () => {
      const [first, second] = workerPids();
      assert.ok(first && second && first !== second, node.output());
      const answers = await Promise.all(Array.from({ length: 20 }, issue));
      assert.deepEqual(answers.map((a) => a.status), Array(20).fill(200));

      // The supervisor asks every worker for its registry: the count covers all 20 (or more).
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const issued = metrics.split('\n').find((l) => l.startsWith('gatehouse_tokens_issued_total{') && l.includes('client_id="cms-backend"'));
      assert.ok(issued && Number(issued.split(' ').pop()) >= 20, issued ?? metrics.slice(0, 500));

      process.kill(first, 'SIGKILL');
      // The other worker keeps serving while the killed one is replaced. A keep-alive connection
      // the killed worker held is reset, and a connection the supervisor handed to it just before
      // it noticed the death may go unanswered: a client retries (with a timeout, as any client
      // should), as it would after any crash. (A full run on a loaded machine once passed mocha's
      // timeout in this test; which wait hung is not known, so each wait here is bounded.)
      const during = await eventually(async () => {
        const attempt = await fetch(`${node.url}/token`, {
          method: 'POST', signal: AbortSignal.timeout(5000),
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(backend.id, backend.secret) },
          body: new URLSearchParams({ grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }),
        }).catch(() => undefined);
        return attempt?.status === 200 ? attempt : undefined;
      }, { timeoutMs: 30_000, intervalMs: 100, what: 'a token from the surviving worker' });
      assert.equal(during.status, 200);
      await eventually(async () => (workerPids().length === 3 ? true : undefined), { timeoutMs: 30_000, what: 'the restarted worker' });
      const restarted = logLines(node.output(), 'worker exited; restarting it');
      assert.equal(restarted.length, 1);
      assert.equal(restarted[0]!.signal, 'SIGKILL');
      const after = await Promise.all(Array.from({ length: 10 }, issue));
      assert.deepEqual(after.map((a) => a.status), Array(10).fill(200));

      const third = workerPids()[2]!;
      const exited = new Promise<number | null>((resolve) => node.process.once('exit', (code) => resolve(code)));
      node.process.kill('SIGTERM');
      // Bounded, so that a shutdown that hangs says so (with the supervisor's lines) instead of a bare mocha timeout.
      const stopped = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
      assert.equal(stopped, 0, node.output().slice(-3000));
      assert.ok(!alive(second) && !alive(third), 'the workers are gone');
      assert.equal(logLines(node.output(), 'all workers stopped')[0]?.code, 0);
    });
  });
});
