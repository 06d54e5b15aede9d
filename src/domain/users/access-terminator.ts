/** Ends everything a user holds: grants (and so every token from them) and browser sessions. */
export interface AccessTerminator {
  endAllAccessOf(userId: string): Promise<void>;
  /** Ends the user's browser sessions only (their clients are told by back-channel logout); grants stay. */
  endSessionsOf(userId: string): Promise<void>;
}
