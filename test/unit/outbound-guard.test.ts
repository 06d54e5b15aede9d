import { strict as assert } from 'node:assert';

import { createGuardedFetch, OutboundFailedError } from '../../src/http/outbound/guarded-fetch.js';
import { checkOutboundUrl, isPublicAddress, OutboundRefusedError } from '../../src/http/outbound/ssrf-guard.js';
import { selfSignedCertificate, startHttpsServer } from '../helpers/tls.js';

const answers = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('the outbound SSRF guard (src/http/outbound)', () => {
  it('tells public addresses from loopback, private, link-local and other special-use ones', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '93.184.216.34']) assert.equal(isPublicAddress(address), true, address);
    for (const address of [
      '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
      '::1', '::', 'fe80::1', 'fc00::1', 'fd12::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::7f00:1', '2002:7f00:1::', 'not-an-ip',
    ]) assert.equal(isPublicAddress(address), false, address);
  });

  it('refuses by form: non-https, credentials; and by every resolved address, one private among public ones being enough', async () => {
    await assert.rejects(checkOutboundUrl('http://example.com/x', {}, answers('93.184.216.34')), OutboundRefusedError);
    await assert.rejects(checkOutboundUrl('https://user:pw@example.com/x', {}, answers('93.184.216.34')), OutboundRefusedError);
    await assert.rejects(checkOutboundUrl('ftp://example.com/x'), OutboundRefusedError);
    await assert.rejects(checkOutboundUrl('https://metadata.internal/x', {}, answers('169.254.169.254')), /private, loopback or special-use/);
    await assert.rejects(checkOutboundUrl('https://mixed.example/x', {}, answers('93.184.216.34', '10.0.0.1')), OutboundRefusedError);
    await assert.rejects(checkOutboundUrl('https://[::1]/x'), OutboundRefusedError);
    await assert.rejects(checkOutboundUrl('https://127.0.0.1/x'), OutboundRefusedError);
    await assert.rejects(checkOutboundUrl('https://nowhere.example/x', {}, async () => { throw new Error('ENOTFOUND'); }), /does not resolve/);
    const ok = await checkOutboundUrl('https://example.com/x', {}, answers('93.184.216.34'));
    assert.deepEqual(ok.addresses, ['93.184.216.34']);
    assert.deepEqual((await checkOutboundUrl('http://127.0.0.1/x', { allowHttp: true, allowPrivateAddresses: true })).addresses, ['127.0.0.1']);
  });

  describe('the guarded fetch', () => {
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
    const guarded = (options: Partial<Parameters<typeof createGuardedFetch>[0]> = {}) => createGuardedFetch({ timeoutMs: 500, maxBytes: 5000, ca: tls.cert, allowPrivateAddresses: true, ...options });

    it('refuses a loopback address unless allowed (the connection is never made)', async () => {
      await assert.rejects(createGuardedFetch({ timeoutMs: 500, maxBytes: 5000, ca: tls.cert })(`${site.origin}/small`), OutboundRefusedError);
      const response = await guarded()(`${site.origin}/small`);
      assert.deepEqual(await response.json(), { ok: true });
    });

    it('caps the body (declared or streamed), does not follow redirects, and keeps to its deadline', async () => {
      await assert.rejects(guarded()(`${site.origin}/big`), (e: unknown) => e instanceof OutboundFailedError && e.code === 'outbound_too_large');
      await assert.rejects(guarded()(`${site.origin}/streamed`), (e: unknown) => e instanceof OutboundFailedError && e.code === 'outbound_too_large');
      const redirect = await guarded()(`${site.origin}/redirect`);
      assert.equal(redirect.status, 302);
      const started = Date.now();
      await assert.rejects(guarded()(`${site.origin}/slow`), (e: unknown) => e instanceof OutboundFailedError && e.code === 'outbound_timeout');
      assert.ok(Date.now() - started < 1500);
    });

    it('connects to the address it checked, whatever a second DNS answer would say (rebinding)', async () => {
      let calls = 0;
      // The first answer is the checked one; a rebinding resolver would answer differently next time.
      const resolve = async () => (calls++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.9.9.9', family: 4 }]);
      const port = new URL(site.origin).port;
      const response = await guarded({ resolve })(`https://localhost:${port}/small`, {}).catch((error: unknown) => error);
      // The certificate names 127.0.0.1, not localhost: TLS refuses, but only after connecting to 127.0.0.1.
      assert.equal(calls, 1, 'resolved once');
      assert.ok(response instanceof OutboundFailedError && response.code === 'outbound_unreachable');
    });
  });
});
