import type { ApiScope } from '../../domain/management/api-scopes.js';
import type { Caller } from './caller.js';

/** A JSON Schema as ajv and OpenAPI 3.1 both read it. */
export type JsonSchema = Record<string, unknown>;

export { API_SCOPES, type ApiScope } from '../../domain/management/api-scopes.js';

/** What one handled request gives back; the router turns it into the response. */
export interface ApiResult {
  status?: number;
  body?: unknown;
  /** Content type when the body is not JSON (e.g. an export as JSON lines). */
  type?: string;
  headers?: Record<string, string>;
}

/** What a handler receives: already authenticated, authorised and validated. */
export interface ApiRequest<P = Record<string, string>, Q = Record<string, unknown>, B = unknown> {
  caller: Caller;
  params: P;
  query: Q;
  body: B;
  requestId?: string;
  ip: string;
  userAgent?: string;
  /** The request's Accept header (an operation may answer a stream, e.g. Server-Sent Events). */
  accept?: string;
  /** Last-Event-ID, sent by an EventSource that reconnects. */
  lastEventId?: string;
}

export interface ApiResponseSpec {
  description: string;
  schema?: JsonSchema;
  /** Media type of the schema; JSON unless said. */
  type?: string;
}

/**
 * One operation of the management API: its route, who may call it, the JSON Schemas of its
 * path parameters, query and body (the router validates all three with ajv; the OpenAPI
 * document is generated from the same objects), and a thin handler.
 */
export interface ApiOperation<P = any, Q = any, B = any> {
  operationId: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template under /api/v1, e.g. `/labs/{labId}/members`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: {
    scope: ApiScope;
    /**
     * Lab admins may call it too. The handler then confines them to their lab: what lies
     * outside it answers exactly as what does not exist.
     */
    labAdmin?: boolean;
  };
  params?: JsonSchema;
  query?: JsonSchema;
  body?: JsonSchema;
  responses: Record<number, ApiResponseSpec>;
  handle(request: ApiRequest<P, Q, B>): Promise<ApiResult>;
}

/** Identity helper that keeps each operation's parameter types. */
export function defineOperation<P = Record<string, string>, Q = Record<string, unknown>, B = unknown>(operation: ApiOperation<P, Q, B>): ApiOperation<P, Q, B> {
  return operation;
}
