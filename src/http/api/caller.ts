/**
 * The access token a caller came with, for answers that outlive the request (a live event
 * stream): it ends when the token expires or stops being good for the same caller.
 */
export interface CallerToken {
  /** When the token expires (epoch ms). */
  expiresAt: number;
  /** Whether the token still authenticates this caller as it did (not revoked, user not blocked or demoted). */
  stillValid(): Promise<boolean>;
}

/** Who is calling the management API, as established from their access token. */
export type Caller = (
  | { kind: 'platform_admin'; userId: string; scopes: ReadonlySet<string> }
  | { kind: 'lab_admin'; userId: string; labId: string; scopes: ReadonlySet<string> }
  | { kind: 'service'; clientId: string; scopes: ReadonlySet<string> }
) & { token?: CallerToken };

/** How a caller appears in the audit log. */
export function actorOf(caller: Caller): string {
  return caller.kind === 'service' ? `client:${caller.clientId}` : `user:${caller.userId}`;
}

/** Who made a change, for the audit log: the caller plus the request it came with. */
export function originOf(request: { caller: Caller; requestId?: string; ip: string }) {
  return { actor: actorOf(request.caller), requestId: request.requestId, ip: request.ip };
}

/** The one lab a caller is confined to, or undefined for callers that see every lab. */
export function confinedLab(caller: Caller): string | undefined {
  return caller.kind === 'lab_admin' ? caller.labId : undefined;
}
