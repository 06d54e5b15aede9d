import type { Api } from '../api.js';

/**
 * Who is using the console, as the management API treats them: a platform admin, or the admin of
 * the one lab their token acts in (the API confines them to it). `scopes` are those the token holds.
 */
export type Caller =
  | { kind: 'platform_admin'; userId: string; username: string; scopes: ReadonlySet<string> }
  | { kind: 'lab_admin'; userId: string; username: string; labId: string; scopes: ReadonlySet<string> };

export interface ScreenContext {
  api: Api;
  caller: Caller;
  /** The path's `:name` parts. */
  params: Readonly<Record<string, string>>;
  /** The query string of the console URL (search, page). */
  query: URLSearchParams;
  /** Goes to a console path (e.g. `users/u-1`), adding a history entry unless `replace`. */
  navigate: (path: string, options?: { replace?: boolean }) => void;
  /** Rewrites the query string in place (no new history entry, no re-render). */
  setQuery: (values: Record<string, string | number | undefined>) => void;
  /** An href for a console path (for real links: open in a new tab works). */
  href: (path: string) => string;
  /** The document title and the screen's heading. */
  setTitle: (title: string) => void;
}

/** What `render` may hand back: stops timers or live feeds when the person leaves the screen. */
export type Cleanup = () => void;

export interface Screen {
  /** Stable name (tests and screenshots refer to it). */
  name: string;
  /** Console path under /admin/, `:name` for parameters (`users/:userId`); '' is the dashboard. */
  path: string;
  /** Title in navigation and in the document title. */
  title: string;
  /** Listed in the navigation (detail screens are reached from their list). */
  nav: boolean;
  /** Every one of these scopes must be in the token, or the screen is not offered. */
  scopes: readonly string[];
  /** Only platform admins: the API refuses these operations to lab admins. */
  platformOnly?: boolean;
  /** Fills `root` (already emptied; an <h1> is added by the router from `title`/setTitle). */
  render: (root: HTMLElement, context: ScreenContext) => void | Cleanup | Promise<void | Cleanup>;
}

/** Whether the caller may be offered the screen (the API would refuse it anyway). */
export function mayUse(caller: Caller, screen: Pick<Screen, 'scopes' | 'platformOnly'>): boolean {
  return (!screen.platformOnly || caller.kind === 'platform_admin') && screen.scopes.every((s) => caller.scopes.has(s));
}

/** Whether the caller holds a scope (and, if `platformOnly`, is a platform admin): decides which actions are offered. */
export function may(caller: Caller, scope: string, platformOnly = false): boolean {
  return caller.scopes.has(scope) && (!platformOnly || caller.kind === 'platform_admin');
}
