import Router from '@koa/router';

import type { Registration } from '../../domain/management/user-management.js';
import { registrationSchema } from '../../domain/schemas/user-schemas.js';
import { RegistrationLimitError } from '../../domain/users/self-registration.js';
import type { Services } from '../../services.js';
import type { ApiOperation } from '../api/api-operation.js';
import { createApiValidators } from '../api/api-validation.js';
import { API_PREFIX } from '../api/openapi.js';
import { createJsonBodyReader } from '../middleware/koa-json-body.js';

const BODY_LIMIT = '16kb';

const registrationBody = registrationSchema;

const readJsonBody = createJsonBodyReader(BODY_LIMIT);

/**
 * The public POST /api/v1/registrations: people create their own account (no lab, no roles).
 * It is not a management operation (it takes no token), so it has its own router, mounted
 * before the API's. When GATEHOUSE_SELF_REGISTRATION is off the route does not exist and the
 * API answers its usual problem+json 404. A taken username or email gets the very answer a new
 * account gets (202), so the endpoint cannot be used to find out who has an account.
 */
export function createRegistrationRoutes({ registration }: Pick<Services, 'registration'>): Router {
  const router = new Router({ prefix: API_PREFIX });
  if (!registration) return router;

  // The API's validators, so field errors read exactly as theirs do.
  const shape = { operationId: 'register', body: registrationBody } as unknown as ApiOperation;
  const validators = createApiValidators([shape]);

  router.post('/registrations', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await registration.admit(ctx.ip);
    } catch (error) {
      if (error instanceof RegistrationLimitError) ctx.set('Retry-After', String(error.retryAfterSeconds));
      throw error;
    }
    const body = await readJsonBody(ctx);
    validators.check(shape, 'body', body);
    await registration.register({ actor: 'anonymous', requestId: ctx.state.requestId as string | undefined, ip: ctx.ip }, body as Registration);
    ctx.status = 202;
    ctx.body = { status: 'accepted' };
  });
  return router;
}
