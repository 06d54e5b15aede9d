/**
 * A user's membership role in the lab the token acts in. Gatehouse's built-in roles are
 * `admin`, `member` and `viewer`; labs may define their own, which arrive as other strings.
 *
 * @example
 * ```ts
 * import type { LabRole } from '@gatehouse/verifier';
 *
 * const editors: LabRole[] = ['admin', 'member'];
 * ```
 */
export type LabRole = 'admin' | 'member' | 'viewer' | (string & {});

/**
 * Who acts for the user (RFC 8693 §4.1): on a token obtained by token exchange, the client that
 * exchanged the user's token, and nested in `act`, whoever acted before it.
 *
 * @example
 * ```ts
 * import type { Actor } from '@gatehouse/verifier';
 *
 * const chain = (actor?: Actor): string[] => (actor ? [actor.sub, ...chain(actor.act)] : []);
 * ```
 */
export interface Actor {
  /** The acting party: for Gatehouse, a client id. */
  readonly sub: string;
  /** The acting client's id (Gatehouse sets it; other issuers may not). */
  readonly client_id?: string;
  /** The party that acted before this one. */
  readonly act?: Actor;
}

/**
 * The verified claims of a Gatehouse access token (RFC 9068), as `verify` returns them and the
 * middleware puts on `ctx.state.auth` / `req.auth`. Only these claims are returned, each checked
 * for its type; Gatehouse-internal claims such as `grant_id` are dropped on purpose, so nothing
 * comes to depend on them. The object is frozen.
 *
 * @example
 * ```ts
 * import type { GatehouseClaims } from '@gatehouse/verifier';
 *
 * function describe(auth: GatehouseClaims): string {
 *   const who = auth.sub === auth.client_id ? `service ${auth.client_id}` : `user ${auth.sub}`;
 *   return auth.lab_id ? `${who} in ${auth.lab_id} as ${auth.lab_role}` : who;
 * }
 * ```
 */
export interface GatehouseClaims {
  /** Gatehouse's issuer URL (already checked against the configured issuer). */
  readonly iss: string;
  /** The resource URI the token is for (already checked against the configured audience). */
  readonly aud: string | readonly string[];
  /** The user's immutable id; for client_credentials tokens, the client id. */
  readonly sub: string;
  /** The OAuth client that obtained the token. */
  readonly client_id: string;
  /** Granted scopes of this resource, space-separated; absent when none were granted. */
  readonly scope?: string;
  /** Token id: what revocation and introspection refer to. */
  readonly jti: string;
  /** Issued at, seconds since the epoch. */
  readonly iat: number;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  /** The lab the user acts in; absent for service tokens and users without an active lab. */
  readonly lab_id?: string;
  /** The user's membership role in `lab_id`. */
  readonly lab_role?: LabRole;
  /** The principal's roles on this resource: global ones plus those limited to `lab_id`. */
  readonly roles?: readonly string[];
  /**
   * RFC 9449 confirmation: present on DPoP-bound tokens, with the thumbprint of the client's key.
   * The verifier has already checked the request's DPoP proof against it.
   */
  readonly cnf?: { readonly jkt: string };
  /**
   * How the person signed in (RFC 8176): `pwd`, `otp`, `hwk` or `swk`, and `mfa` when two factors
   * were proven. Absent on service tokens.
   */
  readonly amr?: readonly string[];
  /** The sign-in's authentication context class: `urn:gatehouse:acr:1fa` or `urn:gatehouse:acr:mfa`. */
  readonly acr?: string;
  /**
   * Present on a token a service obtained by exchanging the user's token (delegation): the
   * service acting for `sub`. `client_id` is that service too. Absent on ordinary tokens.
   */
  readonly act?: Actor;
}
