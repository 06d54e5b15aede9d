import type { Context } from 'koa';

/** What the layers around oidc-provider need to know of a protocol request once answered. */
export interface ProtocolRequest {
  /** oidc-provider's route name: `token`, `introspection`, … */
  route?: string;
  params?: Record<string, unknown>;
  /** The client that authenticated (or, at endpoints without authentication, was named). */
  client?: { clientId: string; clientAuthMethod?: string };
}

const ANSWERED = Symbol('answeredBeforeProvider');

/**
 * Records that Gatehouse answered a protocol request itself, before oidc-provider (the JWT
 * introspection shortcut), so metrics and rate limits see it as they see oidc-provider's.
 */
export function markAnsweredBeforeProvider(ctx: Context, request: ProtocolRequest): void {
  (ctx.state as Record<symbol, ProtocolRequest>)[ANSWERED] = request;
}

/** The protocol request as oidc-provider saw it, or as Gatehouse answered it before it. */
export function protocolRequestOf(ctx: Context): ProtocolRequest | undefined {
  return (ctx as unknown as { oidc?: ProtocolRequest }).oidc ?? (ctx.state as Record<symbol, ProtocolRequest | undefined>)[ANSWERED];
}
