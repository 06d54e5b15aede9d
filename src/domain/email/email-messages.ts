import type { MailMessage } from '../ports/mailer.js';

const minutes = (seconds: number) => (seconds >= 3600 && seconds % 3600 === 0 ? `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}` : `${Math.ceil(seconds / 60)} minutes`);

/** The password reset mail. It names no account detail beyond the username the link is for. */
export function passwordResetMail(to: string, username: string, link: string, ttlSeconds: number): MailMessage {
  return {
    to,
    subject: 'Reset your Gatehouse password',
    text: [
      `Someone (hopefully you) asked to reset the password of the account "${username}".`,
      '',
      'To choose a new password, open this link:',
      link,
      '',
      `It works once, for ${minutes(ttlSeconds)}. If you did not ask for it, ignore this mail: your password stays as it is.`,
    ].join('\n'),
  };
}

/** The mail that proves an address belongs to the person who gave it. */
export function emailVerificationMail(to: string, username: string, link: string, ttlSeconds: number): MailMessage {
  return {
    to,
    subject: 'Confirm your email address for Gatehouse',
    text: [
      `Confirm that this address belongs to the account "${username}" by opening this link:`,
      link,
      '',
      `It works once, for ${minutes(ttlSeconds)}. If you did not ask for it, ignore this mail and nothing changes.`,
    ].join('\n'),
  };
}
