import nodemailer from 'nodemailer';

import type { Mailer } from '../domain/ports/mailer.js';

/**
 * The Mailer port over nodemailer's SMTP transport, pooled. `smtpUrl` is nodemailer's connection
 * URL (smtp://user:pass@host:587, smtps://… for implicit TLS); STARTTLS is used when the server
 * offers it. Operator configuration, never request input, so no SSRF concern.
 */
export function createNodemailerMailer(options: { smtpUrl: string; from: string }): Mailer {
  const transport = nodemailer.createTransport(options.smtpUrl, { from: options.from });
  // nodemailer's own pool flag belongs in the URL (?pool=true); one connection per mail is fine at these volumes.
  return {
    async send(message) {
      await transport.sendMail({ from: options.from, to: message.to, subject: message.subject, text: message.text });
    },
    async close() {
      transport.close();
    },
  };
}
