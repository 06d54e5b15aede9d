import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildServer {
  readonly name: string;
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything the child wrote so far (stdout and stderr interleaved). */
  output(): string;
  /** SIGTERM and wait: a clean exit is what makes `--cpu-prof` write its profile. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  script: string;
  args?: string[];
  nodeArgs?: string[];
  env: Record<string, string>;
  port: number;
  /** Path answered with 200 once the server can take load. */
  readyPath: string;
  /** Also wait for this text in the output (every worker of a cluster is up). */
  readyOutput?: string;
  timeoutMs?: number;
}

// One way to find a free port, shared with the tests.
export { freePort } from '../test/helpers/harness.js';

/**
 * Starts a server as its own Node process and resolves once `readyPath` answers 200.
 * Readiness is polled over HTTP rather than read from logs, because the bench runs Gatehouse
 * at LOG_LEVEL=warn, where it prints nothing on a successful start.
 */
export async function spawnChildServer(options: SpawnOptions): Promise<ChildServer> {
  const url = `http://127.0.0.1:${options.port}`;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => { output += chunk; });
  child.stderr!.on('data', (chunk) => { output += chunk; });
  let exited = false;
  child.once('exit', () => { exited = true; });

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (exited) throw new Error(`${options.name} exited with ${child.exitCode} before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} was not ready within ${options.timeoutMs ?? 60_000} ms:\n${output}`);
    }
    try {
      const response = await fetch(`${url}${options.readyPath}`);
      await response.arrayBuffer();
      if (response.ok && (!options.readyOutput || output.includes(options.readyOutput))) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    name: options.name,
    url,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
