import assert from 'node:assert/strict';

import Router from '@koa/router';
import type Koa from 'koa';

import { routedRequests } from '../../src/http/app.js';

describe('unit: which requests pass through Gatehouse\'s routers', () => {
  const pages = new Router();
  pages.use(async (_ctx, next) => next()); // a method-less layer matches every path
  pages.get('/account', () => {});
  const api = new Router({ prefix: '/api/v1' });
  api.get('/users/:id', () => {});
  const routed = routedRequests([pages, api]);
  const request = (method: string, path: string) => routed({ method, path, state: {} } as unknown as Koa.Context);

  it('passes over oidc-provider\'s endpoints, which no router has a route for', () => {
    assert.equal(request('POST', '/token'), false);
    assert.equal(request('POST', '/token/introspection'), false);
    assert.equal(request('GET', '/jwks'), false);
    assert.equal(request('POST', '/token'), false, 'remembered');
  });

  it('routes what a router serves, a path served for another method (its 405), and unusual methods (their 501)', () => {
    assert.equal(request('GET', '/account'), true);
    assert.equal(request('GET', '/api/v1/users/u1'), true);
    assert.equal(request('POST', '/account'), true);
    assert.equal(request('PROPFIND', '/token'), true);
  });
});
