/** One client to tell that a user's session with it ended (OpenID Connect Back-Channel Logout 1.0). */
export interface ClientLogout {
  clientId: string;
  /** The user (`sub` of the logout token). */
  accountId: string;
  /** The session id the client's ID tokens carried (`sid`), when known. */
  sid?: string;
}

/**
 * Tells clients that sessions ended. `notify` returns at once and never throws: delivery (and
 * its retries) happens in the background, so ending a session never waits on a client. Kept this
 * small so an event relay can drive it later instead of the callers.
 */
export interface LogoutNotifier {
  notify(logouts: readonly ClientLogout[]): void;
}

/** Tells nobody: for processes that serve no provider (the CLI). */
export const silentLogoutNotifier: LogoutNotifier = { notify: () => {} };
