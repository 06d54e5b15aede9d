/** One plain-text email. Plain text on purpose: nothing in it is interpreted by a mail client. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Where mail goes out (SMTP in production; an adapter outside the domain). */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Releases connections (pooled SMTP). */
  close(): Promise<void>;
}
