import nodemailer from 'nodemailer';

import type { Mailer } from '../domain/ports/mailer.js';

/**
 * The Mailer port over nodemailer's SMTP transport (`?pool=true` in the URL pools connections). `smtpUrl` is nodemailer's connection
 * URL (smtp://user:pass@host:587, smtps://… for implicit TLS); STARTTLS is used when the server
 * offers it. Operator configuration, never request input, so no SSRF concern.
 */
export function createNodemailerMailer(options: { smtpUrl: string; from: string }): Mailer {
  const transport = nodemailer.createTransport(options.smtpUrl, { from: options.from });
  return {
    async send(message) {
      await transport.sendMail({ from: options.from, to: message.to, subject: message.subject, text: message.text });
    },
    async close() {
      transport.close();
    },
  };
}
