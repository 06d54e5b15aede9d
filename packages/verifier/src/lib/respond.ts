import type { ExpressLikeResponse } from '../express-auth.js';
import type { KoaLikeContext } from '../koa-auth.js';
import type { Challenge } from './challenge.js';

export function respondKoa(ctx: KoaLikeContext, challenge: Challenge): void {
  // Status before body: Koa turns a body set on an untouched status into 200.
  ctx.status = challenge.status;
  for (const [name, value] of Object.entries(challenge.headers)) ctx.set(name, value);
  ctx.body = challenge.body;
}

export function respondNode(res: ExpressLikeResponse, challenge: Challenge): void {
  res.statusCode = challenge.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  for (const [name, value] of Object.entries(challenge.headers)) res.setHeader(name, value);
  res.end(JSON.stringify(challenge.body));
}
