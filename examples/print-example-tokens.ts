/**
 * Prints one of each token Gatehouse issues, decoded, for docs/TOKENS.md:
 * `npx tsc -b && node dist/examples/print-example-tokens.js` (embedded mode, throw-away data).
 */
import { dpopProof, dpopTokenRequest, newDpopKey } from '../test/helpers/dpop.js';
import { backend, CMS, postForm, startTestGatehouse } from '../test/helpers/harness.js';
import { introspect, userTokens } from '../test/helpers/user-tokens.js';

const decode = (jwt: string) => jwt.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as unknown);

const gh = await startTestGatehouse();
try {
  const user = await userTokens(gh.issuer, { scope: 'openid profile email labs offline_access cases:read', resource: CMS });
  const service = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
  const bound = await dpopTokenRequest(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend, [await dpopProof(await newDpopKey(), `${gh.issuer}/token`)]);
  const opaque = await userTokens(gh.issuer, { scope: 'openid profile email labs' });
  const userinfo = await fetch(`${gh.issuer}/me`, { headers: { authorization: `Bearer ${opaque.access_token}` } });
  const print = (label: string, value: unknown) => process.stdout.write(`${label}\n${JSON.stringify(value)}\n\n`);
  print('access token for a resource', decode(user.access_token));
  print('access token for a service', decode(String(service.body.access_token)));
  print('DPoP-bound access token for a service', decode(String(bound.body.access_token)));
  print('ID token', decode(user.id_token!));
  print('userinfo', await userinfo.json());
  print('introspection of the resource token', await introspect(gh.issuer, user.access_token));
} finally {
  await gh.stop();
}
