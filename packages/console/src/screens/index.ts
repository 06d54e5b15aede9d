import { auditScreen } from './audit.js';
import { clientScreen, clientsScreen } from './clients.js';
import { dashboardScreen } from './dashboard.js';
import { resourcesScreen } from './resources.js';
import { signingKeysScreen } from './signing-keys.js';
import { webhookScreen, webhooksScreen } from './webhooks.js';
import { labScreen, labsScreen } from './labs.js';
import type { Screen } from './screen.js';
import { userScreen, usersScreen } from './users.js';

export type { Caller, Cleanup, Screen, ScreenContext } from './screen.js';

/**
 * Every screen of the console, in navigation order. A screen is offered when the caller holds
 * its scopes (and is a platform admin where `platformOnly`); the router matches `path`.
 */
export const screens: readonly Screen[] = [
  dashboardScreen,
  usersScreen,
  userScreen,
  labsScreen,
  labScreen,
  clientsScreen,
  clientScreen,
  resourcesScreen,
  webhooksScreen,
  webhookScreen,
  auditScreen,
  signingKeysScreen,
];
