import { strict as assert } from 'node:assert';

import { createOutboundFetch, OutboundFetchError } from '../../src/lib/outbound-fetch.js';
import { OutboundRefusedError } from '../../src/lib/outbound-request.js';
import { selfSignedCertificate, startHttpsServer } from '../helpers/tls.js';

describe('the outbound fetch for URLs from outside (src/lib/outbound-fetch.ts)', () => {
  const tls = selfSignedCertificate();
  let site: Awaited<ReturnType<typeof startHttpsServer>>;
  before(async () => {
    site = await startHttpsServer(tls, (req, res) => {
      if (req.url === '/small') return res.end('{"ok":true}');
      if (req.url === '/big') return res.end('x'.repeat(10_000));
      if (req.url === '/streamed') {
        res.write('x'.repeat(3000));
        return setTimeout(() => res.end('x'.repeat(3000)), 20);
      }
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/small' });
        return res.end();
      }
      if (req.url === '/slow') return setTimeout(() => res.end('late'), 2000);
      res.statusCode = 404;
      res.end();
    });
  });
  after(() => {
    site?.close();
    tls.dispose();
  });
  const open = { allowPrivateNetworks: true, allowHttp: false };
  const fetchOut = (policy = open) => createOutboundFetch({ policy, timeoutMs: 500, maxBytes: 5000, ca: tls.cert });
  const failedWith = (code: string) => (e: unknown) => e instanceof OutboundFetchError && e.code === code;

  it('refuses loopback and private addresses unless the policy allows them, and http', async () => {
    const closed = { allowPrivateNetworks: false, allowHttp: false };
    await assert.rejects(fetchOut(closed)(`${site.origin}/small`), OutboundRefusedError);
    await assert.rejects(fetchOut(closed)('https://169.254.169.254/latest/meta-data'), OutboundRefusedError);
    await assert.rejects(fetchOut()(`http://127.0.0.1:${new URL(site.origin).port}/small`), OutboundRefusedError);
    assert.deepEqual(await (await fetchOut()(`${site.origin}/small`)).json(), { ok: true });
  });

  it('caps the body (declared or streamed), does not follow redirects, and keeps to its deadline', async () => {
    await assert.rejects(fetchOut()(`${site.origin}/big`), failedWith('outbound_too_large'));
    await assert.rejects(fetchOut()(`${site.origin}/streamed`), failedWith('outbound_too_large'));
    assert.equal((await fetchOut()(`${site.origin}/redirect`)).status, 302);
    const started = Date.now();
    await assert.rejects(fetchOut()(`${site.origin}/slow`), failedWith('outbound_timeout'));
    assert.ok(Date.now() - started < 1500);
  });
});
