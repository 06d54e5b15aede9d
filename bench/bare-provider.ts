import cluster from 'node:cluster';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { type Configuration } from 'oidc-provider';

import { bareClient } from './bare-client.js';

/**
 * The baseline for bench/token-issuance.ts: oidc-provider v9 with nothing of Gatehouse in it —
 * its default in-memory adapter, one static confidential client, listening itself (not mounted
 * in another Koa app). It does the same cryptographic work as Gatehouse (RS256 with a 2048-bit
 * key, a resource whose access tokens are JWTs), so the ratio measures Gatehouse's own overhead.
 *
 * Run as its own process: `node dist/bench/bare-provider.js --port 4000`.
 */

const resource = 'https://cms.example';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    workers: { type: 'string', default: '1' },
  },
});
const workers = Number(values.workers);
if (!values.port) {
  process.stderr.write('bare-provider: --port is required\n');
  process.exit(2);
}
const port = Number(values.port);

// With --workers N, node:cluster as Gatehouse uses it: N workers share the port. Each holds its
// own in-memory adapter, so only self-contained tokens (JWTs) are valid across workers.
function supervise(): void {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().once('listening', () => {
      if (++listening === workers) process.stdout.write(`bare-provider workers listening ${workers}\n`);
    });
  }
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    cluster.once('exit', () => { if (!Object.keys(cluster.workers ?? {}).length) process.exit(0); });
    setTimeout(() => process.exit(0), 5000).unref();
  });
}

if (workers > 1 && cluster.isPrimary) supervise();
else serve();

function serve(): void {
  const issuer = `http://${values.host}:${port}`;

  // A fresh key per run: the baseline must not depend on a key file of Gatehouse's.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-rs256', alg: 'RS256', use: 'sig' };

  const configuration: Configuration = {
    clients: [{
      client_id: bareClient.id,
      client_secret: bareClient.secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      // Like Gatehouse's clients: resource scopes come from the resource server, not `scope`.
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [jwk] },
    // Without explicit keys oidc-provider warns on every start; the value never matters here.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // The same resource server shape Gatehouse returns for https://cms.example.
        async getResourceServerInfo() {
          return {
            audience: resource,
            scope: 'cases:read',
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  };

  const provider = new Provider(issuer, configuration);
  const server: Server = provider.listen(port, values.host, () => {
    // The parent waits for this line before it sends load.
    process.stdout.write(`bare-provider listening ${issuer}\n`);
  });

  // A clean exit on SIGTERM lets `node --cpu-prof` write its profile.
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
