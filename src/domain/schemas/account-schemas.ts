/** The forms of the account, password-reset and email-verification pages (urlencoded: every field is text). */

import { emailSchema, passwordSchema } from './user-schemas.js';
import { strictObject } from './strict-object.js';

const csrfField = { type: 'string', minLength: 1, maxLength: 200 } as const;
/** A link's token as it arrives; its exact shape is checked (and audited) by the use case. */
const linkTokenField = { type: 'string', minLength: 1, maxLength: 200 } as const;
/** A name field may be emptied (the profile form sends every field). */
const nameField = { type: 'string', maxLength: 100 } as const;
const checkbox = { enum: ['on', 'yes', 'true'] } as const;

export const resetRequestForm = strictObject({ csrf: csrfField, email: { type: 'string', minLength: 1, maxLength: 254 } }, ['csrf', 'email']);
export const resetLinkQuery = strictObject({ token: linkTokenField }, ['token']);
export const resetCompleteForm = strictObject({ csrf: csrfField, token: linkTokenField, password: passwordSchema, confirm: passwordSchema }, ['csrf', 'token', 'password', 'confirm']);
export const verifyEmailForm = strictObject({ csrf: csrfField, token: linkTokenField }, ['csrf', 'token']);

export const accountCallbackQuery = strictObject({
  code: { type: 'string', maxLength: 2000 }, state: { type: 'string', maxLength: 200 }, iss: { type: 'string', maxLength: 2000 },
  error: { type: 'string', maxLength: 200 }, error_description: { type: 'string', maxLength: 2000 }, session_state: { type: 'string', maxLength: 2000 },
}, ['state']);
export const csrfOnlyForm = strictObject({ csrf: csrfField }, ['csrf']);
export const profileForm = strictObject({ csrf: csrfField, givenName: nameField, familyName: nameField }, ['csrf']);
export const emailChangeForm = strictObject({ csrf: csrfField, email: emailSchema }, ['csrf', 'email']);
export const passwordChangeForm = strictObject({
  csrf: csrfField, current: passwordSchema, password: passwordSchema, confirm: passwordSchema, endOthers: checkbox,
}, ['csrf', 'current', 'password', 'confirm']);

/** The account page's second factors (src/interactions/account-second-factor-routes.ts). */
const factorName = { type: 'string', maxLength: 100 } as const;
/** A factor id in a path: a UUID, so a stray value never reaches a query as anything else. */
export const factorPath = strictObject({ id: { type: 'string', format: 'uuid' } }, ['id']);
export const totpConfirmForm = strictObject({ csrf: csrfField, code: { type: 'string', minLength: 1, maxLength: 16 }, name: factorName }, ['csrf', 'code']);
export const factorRenameForm = strictObject({ csrf: csrfField, name: { ...factorName, minLength: 1 } }, ['csrf', 'name']);
/** The JSON posts of /static/passkey.js: the options request, then the browser's credential (checked by the WebAuthn ceremony). */
export const passkeyOptionsBody = strictObject({ csrf: csrfField, purpose: { const: 'register' } }, ['csrf', 'purpose']);
export const passkeyRegisterBody = strictObject({ csrf: csrfField, response: { type: 'object', maxProperties: 20 } }, ['csrf', 'response']);
