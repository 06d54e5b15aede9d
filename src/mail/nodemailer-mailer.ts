import type { Transporter } from 'nodemailer';

import type { Mailer } from '../domain/ports/mailer.js';

/**
 * The Mailer port over nodemailer's SMTP transport (`?pool=true` in the URL pools connections). `smtpUrl` is nodemailer's connection
 * URL (smtp://user:pass@host:587, smtps://… for implicit TLS); STARTTLS is used when the server
 * offers it. Operator configuration, never request input, so no SSRF concern.
 */
export function createNodemailerMailer(options: { smtpUrl: string; from: string }): Mailer {
  // Made on the first mail: nodemailer's ~20 MB of code stay out of memory until a mail is sent.
  let transport: Promise<Transporter> | undefined;
  const transporter = () => (transport ??= import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport(options.smtpUrl, { from: options.from })));
  return {
    async send(message) {
      await (await transporter()).sendMail({ from: options.from, to: message.to, subject: message.subject, text: message.text });
    },
    async close() {
      (await transport)?.close();
    },
  };
}
