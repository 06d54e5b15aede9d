/** Where the links in Gatehouse's mails point (pages served by src/interactions/email-routes.ts). */
export const PASSWORD_RESET_PATH = '/password-reset';
export const PASSWORD_RESET_LINK_PATH = '/password-reset/new';
export const EMAIL_VERIFICATION_PATH = '/email/verify';

export const emailLinks = (issuer: string) => ({
  passwordReset: (token: string) => `${issuer}${PASSWORD_RESET_LINK_PATH}?token=${token}`,
  emailVerification: (token: string) => `${issuer}${EMAIL_VERIFICATION_PATH}?token=${token}`,
});
