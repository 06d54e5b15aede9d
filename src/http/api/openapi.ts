import { eventEnvelopeSchema } from '../../domain/schemas/event-schemas.js';
import { API_SCOPES, type ApiOperation, type JsonSchema } from './api-operation.js';

export const API_PREFIX = '/api/v1';

/** RFC 9457 problem details, as every error of the API is shaped. */
export const problemSchema: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string', description: 'Fixed for each `type`.' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'What went wrong this time (absent for internal errors).' },
    request_id: { type: 'string' },
    errors: {
      type: 'array',
      description: 'Each failing field: a JSON pointer into the request (`#/body/email`, `#/query/limit`) and what is wrong.',
      items: { type: 'object', required: ['pointer', 'detail'], properties: { pointer: { type: 'string' }, detail: { type: 'string' } } },
    },
  },
};

const COMMON_ERRORS: Record<number, string> = {
  400: 'The path, query or body is invalid; `errors` lists each failing field.',
  401: 'No bearer token, or one that is invalid, expired, revoked or not for this API.',
  403: 'The token lacks the scope, or the caller may not do this.',
  503: 'A storage backend is unavailable; retry after the Retry-After header.',
};

/** Path and query schemas become OpenAPI parameters, one per property. */
function parametersOf(schema: JsonSchema | undefined, location: 'path' | 'query') {
  const properties = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema?.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: location, required: location === 'path' || required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}


/**
 * The OpenAPI 3.1 document of the management API, generated from the very operations (and
 * JSON Schemas) the router serves and validates with.
 */
export function buildOpenApiDocument(operations: ReadonlyArray<ApiOperation>, options: { issuer: string; audience: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(op.responses)) {
      responses[status] = {
        description: spec.description,
        ...(spec.schema ? { content: { [spec.type ?? 'application/json']: { schema: spec.schema } } } : {}),
      };
    }
    for (const [status, description] of Object.entries({ ...COMMON_ERRORS, ...(op.body ? { 413: 'The body is larger than 256 kB.', 415: 'The body is not application/json.' } : {}) })) {
      responses[status] ??= { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    }
    (paths[`${API_PREFIX}${op.path}`] ??= {})[op.method] = {
      operationId: op.operationId,
      tags: [op.tag],
      summary: op.summary,
      description: [op.description, `Requires scope \`${op.access.scope}\`. ${op.access.labAdmin ? 'Lab admins may call it for their own lab.' : 'Platform admins and services only.'}`].filter(Boolean).join('\n\n'),
      security: [{ oauth2: [op.access.scope] }],
      parameters: [...parametersOf(op.params, 'path'), ...parametersOf(op.query, 'query')],
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: op.body } } } } : {}),
      responses,
    };
  }
  const scopes = { ...API_SCOPES };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse management API',
      version: options.version,
      description: `Users, labs, members, roles, resources, clients, sessions and the audit log. Call it with an access token for the resource \`${options.audience}\`: a platform admin's or lab admin's (authorization code flow) or a service's (client_credentials), with the scopes each operation names.`,
    },
    servers: [{ url: options.issuer }],
    tags: [...new Set(operations.map((op) => op.tag))].map((name) => ({ name })),
    paths,
    components: {
      // The event envelope (the feed's items, webhook bodies, RabbitMQ messages); /api/v1/asyncapi.json describes each type.
      schemas: { Problem: problemSchema, Event: eventEnvelopeSchema },
      securitySchemes: {
        oauth2: {
          type: 'oauth2',
          description: `Access tokens (RS256 at+jwt) for the resource ${options.audience}.`,
          flows: {
            clientCredentials: { tokenUrl: `${options.issuer}/token`, scopes },
            authorizationCode: { authorizationUrl: `${options.issuer}/auth`, tokenUrl: `${options.issuer}/token`, scopes },
          },
        },
      },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
