import Router from '@koa/router';

/** One dependency readiness asks about. */
export interface DependencyCheck {
  check: () => Promise<void>;
  /** Without it nothing can be served (503); without a non-essential one some requests still work (degraded). */
  essential: boolean;
  /** Reported with each result (the availability log: one line per state change). */
  report?: (ok: boolean, startedAt: number, reason?: unknown) => void;
}

/** What a load balancer, and an operator reading /readyz, is told about the non-essential losses. */
export interface Readiness {
  checks: Record<string, DependencyCheck>;
  /** What stops working while a non-essential dependency is down, by dependency. */
  impaired: Record<string, string[]>;
}

/**
 * /healthz (and /health, the path the seeds' services were written against): the process
 * answers. /readyz: which dependencies it can reach, each reported. 200 `ready` when all
 * answer; 200 `degraded` when only non-essential ones are down (the node still serves some
 * requests, and every node shares them, so taking it out of rotation helps no one), naming what
 * does not work; 503 `unavailable` when an essential one is down.
 */
export function createHealthRoutes({ checks, impaired }: Readiness): Router {
  const router = new Router();
  router.get(['/healthz', '/health'], (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, { check, report }]) => {
        const startedAt = Date.now();
        try {
          await withTimeout(check(), 2000);
          report?.(true, startedAt);
          return [name, 'ok'] as const;
        } catch (error) {
          report?.(false, startedAt, error);
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const down = results.filter(([, state]) => state !== 'ok').map(([name]) => name);
    const status = down.length === 0 ? 'ready' : down.some((name) => checks[name]!.essential) ? 'unavailable' : 'degraded';
    ctx.status = status === 'unavailable' ? 503 : 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      status,
      checks: Object.fromEntries(results),
      ...(status === 'degraded' ? { unavailable_features: down.flatMap((name) => impaired[name] ?? []) } : {}),
    };
  });
  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]);
}
