import { ForbiddenError, NotFoundError } from '../../domain/errors.js';

/** Who is calling the management API, as established from their access token. */
export type Caller =
  | { kind: 'platform_admin'; userId: string; scopes: ReadonlySet<string> }
  | { kind: 'lab_admin'; userId: string; labId: string; scopes: ReadonlySet<string> }
  | { kind: 'service'; clientId: string; scopes: ReadonlySet<string> };

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

/**
 * A lab admin asking about another lab gets the same 404 as for a lab that does not exist, so
 * nothing about other labs can be inferred.
 */
export function assertLabVisible(caller: Caller, labId: string): void {
  const own = confinedLab(caller);
  if (own !== undefined && own !== labId) throw new NotFoundError('lab');
}

/** For operations only unconfined callers (platform admins, services) may use. */
export function assertUnconfined(caller: Caller, what: string): void {
  if (confinedLab(caller) !== undefined) throw new ForbiddenError(`lab admins may not ${what}`);
}
