import assert from 'node:assert/strict';

import Koa from 'koa';

import { CookieSigner } from '../../src/lib/cookie-signer.js';

/** A Koa context on a fake request carrying `cookie`, signing with `keys` (Koa's own keygrip when an array). */
function contextWith(keys: string[] | CookieSigner, cookie = '') {
  const app = new Koa();
  app.keys = keys;
  const headers: Record<string, string | string[]> = {};
  const req = { headers: { cookie }, socket: {}, url: '/', method: 'GET' };
  const res = { getHeader: (name: string) => headers[name.toLowerCase()], setHeader: (name: string, value: string | string[]) => { headers[name.toLowerCase()] = value; }, removeHeader: () => {} };
  return { ctx: app.createContext(req as never, res as never), setCookies: () => ([] as string[]).concat(headers['set-cookie'] ?? []).map((line) => line.split(';')[0]!).join('; ') };
}

describe('unit: cookie signer (keygrip-compatible, cheaper comparison)', () => {
  it('signs exactly as keygrip does, so cookies signed before the change stay valid and the reverse', () => {
    const byKeygrip = contextWith(['k-new', 'k-old']);
    byKeygrip.ctx.cookies.set('_session', 'abc', { signed: true });
    const bySigner = contextWith(new CookieSigner(['k-new', 'k-old']));
    bySigner.ctx.cookies.set('_session', 'abc', { signed: true });
    assert.equal(bySigner.setCookies(), byKeygrip.setCookies());
    assert.equal(contextWith(new CookieSigner(['k-new', 'k-old']), byKeygrip.setCookies()).ctx.cookies.get('_session', { signed: true }), 'abc');
  });

  it('accepts a signature under an older key, refuses a wrong or truncated one', () => {
    const old = contextWith(new CookieSigner(['k-old']));
    old.ctx.cookies.set('_interaction', 'uid-1', { signed: true });
    const rotated = new CookieSigner(['k-new', 'k-old']);
    assert.equal(rotated.index('_interaction=uid-1', old.setCookies().split('_interaction.sig=')[1]!), 1);
    assert.equal(contextWith(rotated, old.setCookies()).ctx.cookies.get('_interaction', { signed: true }), 'uid-1');
    const signature = rotated.sign('_interaction=uid-1');
    assert.equal(rotated.verify('_interaction=uid-1', signature), true);
    assert.equal(rotated.verify('_interaction=uid-2', signature), false);
    assert.equal(rotated.verify('_interaction=uid-1', signature.slice(0, -1)), false);
    assert.equal(rotated.verify('_interaction=uid-1', ''), false);
    assert.equal(new CookieSigner(['other']).index('_interaction=uid-1', signature), -1);
  });
});
