/** Ends everything a user holds: grants (and so every token from them) and browser sessions. */
export interface AccessTerminator {
  endAllAccessOf(userId: string): Promise<void>;
}
