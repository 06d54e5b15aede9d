import Router from '@koa/router';
import type { Context } from 'koa';

import { MethodNotAllowedError, NotFoundError } from '../../domain/errors.js';
import type { ApiAuthenticator } from './api-auth.js';
import type { ApiOperation } from './api-operation.js';
import { createApiValidators } from './api-validation.js';
import { API_PREFIX, type OpenApiDocument } from './openapi.js';
import { createJsonBodyReader } from '../middleware/koa-json-body.js';
import { locateFields } from '../middleware/koa-errors.js';
import { locatorFor } from '../problems/field-pointers.js';

const BODY_LIMIT = '256kb';

export interface ApiRouterDeps {
  operations: ReadonlyArray<ApiOperation>;
  auth: ApiAuthenticator;
  /**
   * Builds the OpenAPI document: called by the first request for it (or its page), and kept. Built
   * at start it was ~0.5 MB of heap, with the AsyncAPI one, on every node, for documents few ask for.
   */
  openApi: () => OpenApiDocument;
  /** Builds the AsyncAPI document of the events, served beside it (on first request too). */
  asyncApi: () => Record<string, unknown>;
  /** The human-readable page of the same document. */
  renderDocs: (ctx: Context, document: OpenApiDocument) => void;
}

/** `/labs/{labId}` → `/labs/:labId`; a literal colon (`/users:batch`) is escaped. */
export function koaPathOf(template: string): string {
  return template.replace(/:/g, '\\:').replace(/\{(\w+)\}/g, ':$1');
}

/** Matches concrete paths against an OpenAPI path template. */
function templatePattern(template: string): RegExp {
  const source = template.split(/\{\w+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+');
  return new RegExp(`^${source}$`);
}

const readJsonBody = createJsonBodyReader(BODY_LIMIT);

/**
 * Serves every operation: authenticate → authorise → validate path, query and body → handle →
 * respond. Handlers therefore only ever see callers that may call them and input their schemas
 * accept.
 */
export function createApiRouter(deps: ApiRouterDeps): Router {
  const validators = createApiValidators(deps.operations);
  const router = new Router({ prefix: API_PREFIX });
  let openApi: OpenApiDocument | undefined;
  let asyncApi: Record<string, unknown> | undefined;

  router.get('/openapi.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = (openApi ??= deps.openApi());
  });
  router.get('/docs', (ctx) => deps.renderDocs(ctx, (openApi ??= deps.openApi())));
  router.get('/asyncapi.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = (asyncApi ??= deps.asyncApi());
  });

  for (const operation of deps.operations) {
    const locate = locatorFor(operation);
    router[operation.method](koaPathOf(operation.path), async (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      locateFields(ctx, locate);
      const caller = await deps.auth.authenticate(ctx.get('authorization') || undefined);
      // The rate limit charges the request to its caller once answered.
      ctx.state.caller = caller;
      deps.auth.authorize(caller, operation);

      const params = { ...ctx.params };
      validators.check(operation, 'params', params);
      const query = { ...ctx.query };
      validators.check(operation, 'query', query);
      let body: unknown;
      if (operation.body) {
        body = await readJsonBody(ctx);
        validators.check(operation, 'body', body);
      }

      const result = await operation.handle({
        caller, params, query, body, requestId: ctx.state.requestId as string | undefined, ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined,
        accept: ctx.get('accept') || undefined, lastEventId: ctx.get('last-event-id') || undefined,
      });
      for (const [name, value] of Object.entries(result.headers ?? {})) ctx.set(name, value);
      ctx.status = result.status ?? (result.body === undefined ? 204 : 200);
      if (result.body !== undefined) {
        if (result.type) ctx.type = result.type;
        ctx.body = result.body;
      }
    });
  }

  // Anything else under the prefix is a problem+json 405 (known path) or 404, not oidc-provider's HTML page.
  const templates = deps.operations.map((op) => ({ method: op.method.toUpperCase(), pattern: templatePattern(op.path) }));
  router.all('/{*rest}', (ctx) => {
    const path = ctx.path.slice(API_PREFIX.length);
    const allow = [...new Set(templates.filter((t) => t.pattern.test(path)).map((t) => t.method))];
    if (allow.length) {
      ctx.set('Allow', allow.join(', '));
      throw new MethodNotAllowedError(allow);
    }
    throw new NotFoundError('API route');
  });
  return router;
}
