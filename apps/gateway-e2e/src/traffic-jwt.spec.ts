import type { AppProcess } from '@gatehouse/shared/testing';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import {
  GatewayUnderTest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';
import {
  startBackend,
  startGateway,
  timedFetch,
} from './support/traffic.test-helper';

const secretHex = randomBytes(32).toString('hex');
const secret = Buffer.from(secretHex, 'hex');

describe('G-8 JWT injection', () => {
  let sut: GatewayUnderTest;

  beforeAll(async () => {
    sut = await startGatewayWithRecorder({
      JWT_SECRET: secretHex,
      JWT_USER: 'alice',
      DUPLICATE_DELAY_MS: '0',
    });
  });
  afterAll(() => sut.stop());

  it('adds an HS512 x-my-jwt that verifies with the secret, with a fresh jti each time', async () => {
    await fetch(`${sut.gateway.url}/a`);
    // A client's own x-my-jwt is replaced, never passed on.
    await fetch(`${sut.gateway.url}/b`, { headers: { 'x-my-jwt': 'forged' } });
    const tokens = sut.upstream.requests.map((r) => r.headers['x-my-jwt']);
    expect(tokens).toHaveLength(2);
    const claims = [];
    for (const token of tokens) {
      expect(typeof token).toBe('string');
      expect(decodeProtectedHeader(token as string).alg).toBe('HS512');
      const { payload } = await jwtVerify(token as string, secret, {
        algorithms: ['HS512'],
      });
      claims.push(payload);
    }
    const today = new Date().toISOString().slice(0, 10);
    expect(claims[0]).toEqual({
      iat: expect.any(Number),
      jti: expect.any(String),
      payload: { user: 'alice', date: today },
    });
    expect(
      Math.abs((claims[0].iat as number) - Date.now() / 1000),
    ).toBeLessThan(5);
    expect(claims[0].jti).not.toBe(claims[1].jti);
    // The token never reaches a log line.
    for (const token of tokens)
      expect(JSON.stringify(sut.gateway.logs)).not.toContain(token as string);
  });
});

describe('B-3 the backend accepts the gateway token and rejects forged or missing ones', () => {
  let backend: AppProcess;
  let gateway: AppProcess;

  beforeAll(async () => {
    backend = await startBackend({ JWT_SECRET: secretHex });
    gateway = await startGateway({
      BACKEND_URL: backend.url,
      JWT_SECRET: secretHex,
      DUPLICATE_DELAY_MS: '0',
    });
  });
  afterAll(() => Promise.all([gateway?.stop(), backend?.stop()]));

  it('G-8: requests through the gateway, hedged ones included, are accepted', async () => {
    expect((await timedFetch(`${gateway.url}/api/items`)).status).toBe(200);
    expect((await timedFetch(`${gateway.url}/api/smart`)).status).toBe(200);
  });

  it('a missing token is 401', async () => {
    expect((await timedFetch(`${backend.url}/api/items`)).status).toBe(401);
  });

  it('a token signed with another secret is 401', async () => {
    const forged = await new SignJWT({ payload: { user: 'mallory' } })
      .setProtectedHeader({ alg: 'HS512' })
      .setIssuedAt()
      .setJti('x')
      .sign(randomBytes(32));
    const result = await timedFetch(`${backend.url}/api/items`, {
      headers: { 'x-my-jwt': forged },
    });
    expect(result.status).toBe(401);
  });
});
