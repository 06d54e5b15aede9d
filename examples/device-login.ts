import { pathToFileURL } from 'node:url';

import * as oidc from 'openid-client';

/**
 * Signing a person in from a command-line tool with the device authorization grant (RFC 8628):
 * the tool shows a code and a link, the person opens the link on any device with a browser,
 * and the tool polls until Gatehouse has tokens for it. docs/INTEGRATION.md walks through it;
 * test/device-flow.test.ts runs it.
 */
export interface DeviceLoginOptions {
  issuer: string;
  /** A public client with the urn:ietf:params:oauth:grant-type:device_code grant (and refresh_token to stay signed in). */
  clientId: string;
  /** The API the tool calls: its access token's `aud`. */
  resource: string;
  scope?: string;
  /** Where the tool tells the person what to do (a terminal line by default). */
  show?: (instructions: { url: string; code: string; completeUrl?: string }) => void;
  /** Plain http to a local Gatehouse (development only). */
  allowHttp?: boolean;
}

export async function deviceLogin(options: DeviceLoginOptions): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  const config = await oidc.discovery(new URL(options.issuer), options.clientId, undefined, oidc.None(), options.allowHttp ? { execute: [oidc.allowInsecureRequests] } : undefined);
  const started = await oidc.initiateDeviceAuthorization(config, { scope: options.scope ?? 'openid offline_access', resource: options.resource });
  const show = options.show ?? (({ url, code }) => process.stderr.write(`Open ${url} and enter the code ${code}\n`));
  show({ url: started.verification_uri, code: started.user_code, completeUrl: started.verification_uri_complete });
  // Waits `interval` between polls, and 5 s more after each slow_down, until the person is done,
  // refuses (access_denied) or the code expires (expired_token).
  return oidc.pollDeviceAuthorizationGrant(config, started);
}

// `node dist/examples/device-login.js ISSUER CLIENT_ID RESOURCE`
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [issuer, clientId, resource] = process.argv.slice(2);
  if (!issuer || !clientId || !resource) {
    process.stderr.write('usage: device-login ISSUER CLIENT_ID RESOURCE\n');
    process.exit(2);
  }
  const tokens = await deviceLogin({ issuer, clientId, resource, allowHttp: issuer.startsWith('http://') });
  process.stdout.write(`${JSON.stringify({ access_token: tokens.access_token, expires_in: tokens.expires_in, refresh_token: tokens.refresh_token ? '(kept)' : undefined })}\n`);
}
