import Router from '@koa/router';

import { createUserManagement, type Registration } from '../../domain/management/user-management.js';
import { emailSchema, passwordSchema, personNameSchema, usernameSchema } from '../../domain/schemas/user-schemas.js';
import { createPasswordPolicy } from '../../domain/users/password-policy.js';
import type { ApiOperation } from '../api/api-operation.js';
import { createApiValidators } from '../api/api-validation.js';
import type { ManagementDeps } from '../api/management-deps.js';
import { API_PREFIX } from '../api/openapi.js';
import { strictObject } from '../api/schemas.js';
import { createJsonBodyReader } from '../middleware/koa-json-body.js';
import { TooManyRequestsError } from '../../domain/errors.js';

const BODY_LIMIT = '16kb';
const REGISTRATIONS_PER_WINDOW = 10;
const REGISTRATION_WINDOW_SECONDS = 3600;

const registrationBody = strictObject({
  username: usernameSchema, email: emailSchema, password: passwordSchema, givenName: personNameSchema, familyName: personNameSchema,
}, ['username', 'email', 'password']);

const readJsonBody = createJsonBodyReader(BODY_LIMIT);

/**
 * The public POST /api/v1/registrations: people create their own account (no lab, no roles).
 * It is not a management operation (it takes no token), so it has its own router, mounted
 * before the API's. When GATEHOUSE_SELF_REGISTRATION is off the route does not exist and the
 * API answers its usual problem+json 404. A taken username or email gets the very answer a new
 * account gets (202), so the endpoint cannot be used to find out who has an account.
 */
export function createRegistrationRoutes(deps: Pick<ManagementDeps, 'config' | 'repos' | 'change' | 'hasher' | 'access' | 'store'>): Router {
  const router = new Router({ prefix: API_PREFIX });
  if (!deps.config.selfRegistration) return router;

  const users = createUserManagement({ ...deps, passwordPolicy: createPasswordPolicy({ minLength: deps.config.passwordMinLength }) });
  // The API's validators, so field errors read exactly as theirs do.
  const shape = { operationId: 'register', body: registrationBody } as unknown as ApiOperation;
  const validators = createApiValidators([shape]);

  router.post('/registrations', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    // Each attempt costs an argon2 hash: a per-address budget keeps it from being a CPU sink.
    if ((await deps.store.increment(`registrations:${ctx.ip}`, REGISTRATION_WINDOW_SECONDS)) > REGISTRATIONS_PER_WINDOW) {
      ctx.set('Retry-After', String(REGISTRATION_WINDOW_SECONDS));
      throw new TooManyRequestsError(`at most ${REGISTRATIONS_PER_WINDOW} registrations per address per hour`);
    }
    const body = await readJsonBody(ctx);
    validators.check(shape, 'body', body);
    await users.register({ actor: 'anonymous', requestId: ctx.state.requestId as string | undefined, ip: ctx.ip }, body as Registration);
    ctx.status = 202;
    ctx.body = { status: 'accepted' };
  });
  return router;
}
