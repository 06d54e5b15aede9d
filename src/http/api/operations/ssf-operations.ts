import { ForbiddenError } from '../../../domain/errors.js';
import type { SharedSignals, StreamInput } from '../../../domain/ssf/shared-signals.js';
import { defineOperation, type ApiOperation, type ApiRequest } from '../api-operation.js';
import type { Caller } from '../caller.js';
import { originOf } from '../caller.js';

// Receivers may echo transmitter-supplied fields (iss, aud, events_supported…) back: they are ignored, not refused.
const streamBody = {
  type: 'object',
  properties: {
    stream_id: { type: 'string', maxLength: 100 },
    events_requested: { type: 'array', items: { type: 'string', format: 'uri', maxLength: 300 }, maxItems: 50, uniqueItems: true },
    delivery: {
      type: 'object',
      required: ['method'],
      properties: {
        method: { type: 'string', maxLength: 100 },
        endpoint_url: { type: 'string', format: 'uri', maxLength: 2000 },
        authorization_header: { type: 'string', maxLength: 4000 },
      },
    },
    description: { type: 'string', maxLength: 500 },
  },
} as const;
const streamQuery = { type: 'object', additionalProperties: false, properties: { stream_id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;
const streamIdQuery = { ...streamQuery, required: ['stream_id'] } as const;
const configurationSchema = { type: 'object', required: ['stream_id', 'iss', 'aud', 'delivery'], properties: { stream_id: { type: 'string' } } } as const;

/** Streams belong to a receiver, a service client: people (even admins) do not configure them. */
function receiver(caller: Caller): string {
  if (caller.kind !== 'service') throw new ForbiddenError('SSF streams are configured by a receiver\'s own client (client_credentials)');
  return caller.clientId;
}

/**
 * The SSF 1.0 stream management API (§8.1) and RFC 8936 poll endpoint, for receivers holding a
 * client-credentials token with the `ssf:manage` scope.
 */
export function createSsfOperations(ssf: SharedSignals, options: { pollWaitMs: number }): ApiOperation[] {
  const update = (method: 'patch' | 'put') => defineOperation<Record<string, never>, Record<string, never>, StreamInput & { stream_id: string }>({
    operationId: method === 'patch' ? 'updateSsfStream' : 'replaceSsfStream', method, path: '/ssf/streams', tag: 'Shared Signals',
    summary: method === 'patch' ? 'Update a stream (SSF §8.1.1.3)' : 'Replace a stream (SSF §8.1.1.4)',
    access: { scope: 'ssf:manage' },
    body: { ...streamBody, required: ['stream_id'] },
    responses: { 200: { description: 'The stream configuration.', schema: configurationSchema }, 404: { description: 'No such stream of this receiver.' } },
    async handle(request: ApiRequest<Record<string, never>, Record<string, never>, StreamInput & { stream_id: string }>) {
      return { body: await ssf.update(originOf(request), receiver(request.caller), request.body.stream_id, request.body, method === 'put') };
    },
  });
  return [
    defineOperation<Record<string, never>, { stream_id?: string }>({
      operationId: 'readSsfStreams', method: 'get', path: '/ssf/streams', tag: 'Shared Signals', summary: 'Read a stream, or all of this receiver\'s (SSF §8.1.1.2)',
      access: { scope: 'ssf:manage' },
      query: streamQuery,
      responses: { 200: { description: 'One configuration (with stream_id) or an array of them.' }, 404: { description: 'No such stream of this receiver.' } },
      async handle({ caller, query }) {
        return { body: await ssf.list(receiver(caller), query.stream_id) };
      },
    }),
    defineOperation<Record<string, never>, Record<string, never>, StreamInput>({
      operationId: 'createSsfStream', method: 'post', path: '/ssf/streams', tag: 'Shared Signals', summary: 'Create a stream (SSF §8.1.1.1)',
      description: `Delivery \`urn:ietf:rfc:8935\` (push: give \`endpoint_url\`, https and public unless configuration allows otherwise) or \`urn:ietf:rfc:8936\` (poll: the answer names the poll endpoint). \`events_requested\` defaults to every supported event.`,
      access: { scope: 'ssf:manage' },
      body: streamBody,
      responses: { 201: { description: 'The stream configuration.', schema: configurationSchema }, 400: { description: 'An unsupported delivery method or an endpoint that is not allowed.' } },
      async handle(request) {
        return { status: 201, body: await ssf.create(originOf(request), receiver(request.caller), request.body) };
      },
    }),
    update('patch'),
    update('put'),
    defineOperation<Record<string, never>, { stream_id: string }>({
      operationId: 'deleteSsfStream', method: 'delete', path: '/ssf/streams', tag: 'Shared Signals', summary: 'Delete a stream (SSF §8.1.1.5)',
      access: { scope: 'ssf:manage' },
      query: streamIdQuery,
      responses: { 204: { description: 'Deleted, with its undelivered SETs.' }, 404: { description: 'No such stream of this receiver.' } },
      async handle(request) {
        await ssf.remove(originOf(request), receiver(request.caller), request.query.stream_id);
        return {};
      },
    }),
    defineOperation<Record<string, never>, { stream_id: string }>({
      operationId: 'readSsfStatus', method: 'get', path: '/ssf/status', tag: 'Shared Signals', summary: 'Read a stream\'s status (SSF §8.1.2.1)',
      access: { scope: 'ssf:manage' },
      query: streamIdQuery,
      responses: { 200: { description: '`enabled`, `paused` (SETs are kept for later) or `disabled` (none are made).' }, 404: { description: 'No such stream.' } },
      async handle({ caller, query }) {
        return { body: await ssf.status(receiver(caller), query.stream_id) };
      },
    }),
    defineOperation<Record<string, never>, Record<string, never>, { stream_id: string; status: 'enabled' | 'paused' | 'disabled'; reason?: string }>({
      operationId: 'updateSsfStatus', method: 'post', path: '/ssf/status', tag: 'Shared Signals', summary: 'Enable, pause or disable a stream (SSF §8.1.2.2)',
      access: { scope: 'ssf:manage' },
      body: { type: 'object', required: ['stream_id', 'status'], properties: { stream_id: { type: 'string', maxLength: 100 }, status: { enum: ['enabled', 'paused', 'disabled'] }, reason: { type: 'string', maxLength: 500 } } },
      responses: { 200: { description: 'The status now.' }, 404: { description: 'No such stream.' } },
      async handle(request) {
        return { body: await ssf.setStatus(originOf(request), receiver(request.caller), request.body.stream_id, request.body.status, request.body.reason) };
      },
    }),
    defineOperation<Record<string, never>, Record<string, never>, { stream_id: string; state?: string }>({
      operationId: 'verifySsfStream', method: 'post', path: '/ssf/verify', tag: 'Shared Signals', summary: 'Ask for a verification event (SSF §8.1.4)',
      access: { scope: 'ssf:manage' },
      body: { type: 'object', required: ['stream_id'], properties: { stream_id: { type: 'string', maxLength: 100 }, state: { type: 'string', maxLength: 500 } } },
      responses: { 204: { description: 'A verification SET is on its way (pushed, or waiting to be polled).' }, 404: { description: 'No such stream.' } },
      async handle({ caller, body }) {
        await ssf.verify(receiver(caller), body.stream_id, body.state);
        return {};
      },
    }),
    defineOperation<{ streamId: string }, Record<string, never>, { maxEvents?: number; returnImmediately?: boolean; ack?: string[]; setErrs?: Record<string, unknown> }>({
      operationId: 'pollSsfStream', method: 'post', path: '/ssf/poll/{streamId}', tag: 'Shared Signals', summary: 'Poll a stream\'s SETs and acknowledge received ones (RFC 8936)',
      access: { scope: 'ssf:manage' },
      params: { type: 'object', additionalProperties: false, required: ['streamId'], properties: { streamId: { type: 'string', minLength: 1, maxLength: 100 } } },
      body: {
        type: 'object',
        properties: {
          maxEvents: { type: 'integer', minimum: 0, maximum: 1000 },
          returnImmediately: { type: 'boolean' },
          ack: { type: 'array', items: { type: 'string', maxLength: 200 }, maxItems: 1000 },
          setErrs: { type: 'object', maxProperties: 1000 },
        },
      },
      responses: { 200: { description: '`{"sets": {jti: SET}, "moreAvailable": bool}`.' }, 404: { description: 'No such stream.' }, 409: { description: 'A push stream.' } },
      async handle({ caller, params, body }) {
        return { body: await ssf.poll(receiver(caller), params.streamId, body, options.pollWaitMs) };
      },
    }),
  ];
}
