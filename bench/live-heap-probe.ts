import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

/**
 * Preloaded into the server by bench/live-heap.ts (`node --expose-gc --import`) and
 * test/lazy-modules.test.ts: records every module loaded (import and require), and on SIGUSR2
 * collects garbage twice (when `gc` is exposed) and writes `process.memoryUsage()` and those
 * modules, as JSON, to LIVE_HEAP_PROBE_OUT.
 */
const loaded = new Set<string>();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});

process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  writeFileSync(process.env.LIVE_HEAP_PROBE_OUT!, JSON.stringify({ collected: gc !== undefined, memory: process.memoryUsage(), modules: [...loaded] }));
});
