import assert from 'node:assert/strict';

import { decodeJwt, exportJWK, generateKeyPair } from 'jose';

import { createLogger } from '../../src/logger.js';
import { createBackchannelLogout, type BackchannelTarget } from '../../src/oidc/backchannel-logout.js';
import { Rs256SigningKey } from '../../src/oidc/rs256-signing-key.js';
import { fakeBackchannelLogoutQueue } from '../fakes/fake-backchannel-logout-queue.js';
import { eventually } from '../helpers/eventually.js';

async function signingKey(): Promise<Rs256SigningKey> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return new Rs256SigningKey({ ...(await exportJWK(privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' });
}

function sender(options: { target: BackchannelTarget; answers: number[]; allowInternal?: boolean; key: Rs256SigningKey }) {
  const calls: Array<{ url: string; token: string }> = [];
  const queue = fakeBackchannelLogoutQueue();
  const logouts = createBackchannelLogout({
    queue,
    issuer: 'https://id.example.com',
    signingKey: () => options.key,
    findClient: async () => options.target,
    attempts: 3,
    policy: { allowPrivateNetworks: options.allowInternal ?? true, allowHttp: true },
    log: createLogger('silent'),
    baseDelayMs: 1,
    post: async (url, form) => {
      calls.push({ url, token: new URLSearchParams(form).get('logout_token')! });
      return options.answers.shift() ?? 200;
    },
  });
  return { logouts, calls, queue };
}

describe('unit: back-channel logout sender', () => {
  let key: Rs256SigningKey;
  before(async () => { key = await signingKey(); });

  it('retries a failed delivery until the client answers 200, then stops and forgets it; each try signs a fresh token (a stored delivery may wait past a token\'s lifetime)', async () => {
    const { logouts, calls, queue } = sender({ key, target: { uri: 'http://127.0.0.1:9/logout', sessionRequired: false }, answers: [503, 500] });
    logouts.notify([{ clientId: 'portal', accountId: 'u-1', sid: 's-1' }]);
    await eventually(async () => (calls.length === 3 ? true : undefined), { what: 'three tries' });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls.length, 3);
    assert.equal(new Set(calls.map((c) => decodeJwt(c.token).jti)).size, 3);
    for (const call of calls) {
      const claims = decodeJwt(call.token);
      assert.deepEqual([claims.aud, claims.sid, claims.sub], ['portal', 's-1', 'u-1']);
    }
    assert.equal(queue.size(), 0, 'delivered: forgotten');
    await logouts.close();
  });

  it('gives up after the configured number of tries', async () => {
    const { logouts, calls, queue } = sender({ key, target: { uri: 'http://127.0.0.1:9/logout', sessionRequired: false }, answers: [500, 500, 500, 500, 500] });
    logouts.notify([{ clientId: 'portal', accountId: 'u-1' }]);
    await eventually(async () => (calls.length === 3 ? true : undefined), { what: 'three tries' });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(calls.length, 3);
    assert.equal(queue.size(), 0, 'given up: forgotten');
    await logouts.close();
  });

  it('refuses loopback and private addresses unless allowed (SSRF), without retrying', async () => {
    for (const uri of ['http://127.0.0.1/logout', 'http://[::1]/logout', 'http://10.1.2.3/logout', 'http://169.254.169.254/latest', 'http://localhost/logout']) {
      const { logouts, calls } = sender({ key, target: { uri, sessionRequired: false }, answers: [], allowInternal: false });
      logouts.notify([{ clientId: 'portal', accountId: 'u-1' }]);
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(calls.length, 0, uri);
      await logouts.close();
    }
  });

  it('sends nothing to a client without a URI, or requiring sid for a session without one', async () => {
    for (const target of [{ sessionRequired: false }, { uri: 'http://127.0.0.1:9/logout', sessionRequired: true }]) {
      const { logouts, calls } = sender({ key, target, answers: [] });
      logouts.notify([{ clientId: 'portal', accountId: 'u-1' }]);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(calls.length, 0);
      await logouts.close();
    }
  });
});
