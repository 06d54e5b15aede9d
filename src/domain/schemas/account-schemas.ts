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
