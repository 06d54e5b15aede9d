import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';

import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** The resource URI the tests' verifiers are for. */
export const AUDIENCE = 'https://cms.example';

/** This service's own client at the fake issuer, for introspection. */
export const introspector = { id: 'cms-api', secret: 'cms-api-secret' };

export const now = () => Math.floor(Date.now() / 1000);
export const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export interface SigningKey { kid: string; privateKey: CryptoKey; publicJwk: JWK }

export async function newKey(kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/**
 * A stand-in for Gatehouse on node:http that serves discovery, a JWKS of keys the test controls
 * and an introspection endpoint: lab and role claims can be forged here, and failures staged.
 */
export interface FakeIssuer {
  issuer: string;
  key: SigningKey;
  published: SigningKey[];
  hits: Record<string, number>;
  jwksStatus: number;
  revoked: Set<string>;
  sign(claims?: Record<string, unknown>, options?: { key?: SigningKey; header?: Record<string, unknown> }): Promise<string>;
  close(): Promise<void>;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export async function startFakeIssuer(): Promise<FakeIssuer> {
  const key = await newKey('fake-1');
  const fake: Partial<FakeIssuer> & { published: SigningKey[]; hits: Record<string, number>; jwksStatus: number; revoked: Set<string> } = {
    key,
    published: [key],
    hits: {},
    jwksStatus: 200,
    revoked: new Set(),
  };
  const server: Server = createServer((req, res) => {
    const path = req.url!.split('?')[0]!;
    fake.hits[path] = (fake.hits[path] ?? 0) + 1;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/.well-known/openid-configuration') {
      return json(200, { issuer: fake.issuer, jwks_uri: `${fake.issuer}/jwks`, introspection_endpoint: `${fake.issuer}/introspect` });
    }
    if (path === '/jwks') {
      return fake.jwksStatus === 200 ? json(200, { keys: fake.published.map((k) => k.publicJwk) }) : json(fake.jwksStatus, { error: 'down' });
    }
    if (path === '/introspect' && req.method === 'POST') {
      if (req.headers.authorization !== basic(introspector.id, introspector.secret)) return json(401, { error: 'invalid_client' });
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        const token = new URLSearchParams(body).get('token') ?? '';
        json(200, { active: !fake.revoked.has(token) });
      });
      return;
    }
    json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  fake.sign = async (claims = {}, options = {}) => {
    const signer = options.key ?? key;
    const payload: JWTPayload = { iss: fake.issuer, aud: AUDIENCE, sub: 'user-1', client_id: 'portal', scope: 'cases:read', jti: randomUUID(), iat: now(), exp: now() + 300, ...claims };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: signer.kid, ...options.header }).sign(signer.privateKey);
  };
  fake.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return fake as FakeIssuer;
}

/** An issuer URL nothing listens on: a port the OS just handed out and that was closed again. */
export async function unreachableIssuer(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
