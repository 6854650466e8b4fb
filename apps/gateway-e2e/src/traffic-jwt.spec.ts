import type { AppProcess } from '@gatehouse/shared/testing';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  GatewayUnderTest,
  rawRequest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';
import {
  scenario,
  startBackend,
  startGateway,
  Timed,
  timedFetch,
  workTimestamps,
} from './support/traffic.test-helper';

const secretHex = randomBytes(32).toString('hex');
const secret = Buffer.from(secretHex, 'hex');

const nowS = () => Math.floor(Date.now() / 1000);

// A token signed here, as a peer or an attacker holding the key would: claims as given.
function signed(
  claims: Record<string, unknown>,
  key: Uint8Array = secret,
): Promise<string> {
  return new SignJWT({ payload: { user: 'alice' }, ...claims })
    .setProtectedHeader({ alg: 'HS512', typ: 'JWT' })
    .sign(key);
}

// What the gateway sends: issued now, living 60 s, a fresh jti.
function fresh(key: Uint8Array = secret): Promise<string> {
  return signed({ iat: nowS(), exp: nowS() + 60, jti: randomUUID() }, key);
}

function withToken(url: string, token: string): Promise<Timed> {
  return timedFetch(url, { headers: { 'x-my-jwt': token } });
}

function expectUnauthorized(result: Timed, detail: RegExp): void {
  expect(result.status).toBe(401);
  expect(result.headers.get('content-type')).toMatch(/problem\+json/);
  expect(JSON.parse(result.body)).toMatchObject({
    status: 401,
    detail: expect.stringMatching(detail),
  });
}

describe('G-8 JWT injection', () => {
  let sut: GatewayUnderTest;

  beforeAll(async () => {
    sut = await startGatewayWithRecorder({
      JWT_SECRET: secretHex,
      JWT_USER: 'alice',
      JWT_TTL_S: '30',
      DUPLICATE_DELAY_MS: '0',
    });
  });
  afterAll(() => sut.stop());

  it('adds an HS512 x-my-jwt that verifies with the secret, expires JWT_TTL_S after iat, with a fresh jti each time', async () => {
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
      exp: (claims[0].iat as number) + 30,
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

describe('B-3 the backend accepts the gateway token and rejects forged, missing, expired or replayed ones', () => {
  let backend: AppProcess;
  let gateway: AppProcess;

  beforeAll(async () => {
    backend = await startBackend({ JWT_SECRET: secretHex });
    gateway = await startGateway({
      BACKEND_URL: backend.url,
      JWT_SECRET: secretHex,
      DUPLICATE_DELAY_MS: '0',
      HEDGE_AFTER_MS: '200',
      HEDGE_EXTRA: '2',
      FORWARD_PROXY_ALLOW: new URL(backend.url).host,
    });
  });
  afterAll(() => Promise.all([gateway?.stop(), backend?.stop()]));

  it('G-8: requests through the gateway, hedged ones included, are accepted', async () => {
    for (let i = 0; i < 3; i++)
      expect((await timedFetch(`${gateway.url}/api/items`)).status).toBe(200);
    expect((await timedFetch(`${gateway.url}/api/smart`)).status).toBe(200);
  });

  it('G-7, G-8: each hedged copy carries its own token, so the extra copies are not refused as replays', async () => {
    // Copies 1 and 2 are slow, so all three reach the backend before any answers, however
    // late a loaded machine runs the hedge timers; copy 3 wins.
    await scenario(backend, [
      [{ copy: 1 }, 200, 3000],
      [{ copy: 2 }, 200, 2000],
      [{ copy: 3 }, 200, 0],
    ]);
    const result = await timedFetch(`${gateway.url}/api/smart`);
    expect(result.status).toBe(200);
    expect(result.headers.get('x-hedge-copies')).toBe('3');
    // A copy refused by the guard never reaches /api/work: all three did, and an extra won.
    expect(JSON.parse(result.body)).not.toEqual({ copy: 1 });
    expect(await workTimestamps(backend)).toHaveLength(3);
  });

  it('G-9, G-8: forward-proxy requests to an allowlisted host carry a fresh token each', async () => {
    const host = new URL(backend.url).host;
    for (let i = 0; i < 2; i++) {
      const response = await rawRequest(
        gateway.port,
        `GET http://${host}/api/orders HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(response.status).toBe(200);
    }
  });

  it('G-10, G-8: generated load is accepted by the backend', async () => {
    const started = await timedFetch(`${gateway.url}/_gateway/test/20`, {
      method: 'POST',
    });
    expect(started.status).toBe(202);
    const line = await gateway.waitForLog(
      (l) => l['msg'] === 'load test finished',
    );
    expect(line['statuses']).toEqual({ '200': 20 });
  });

  it('a missing token is 401', async () => {
    expectUnauthorized(await timedFetch(`${backend.url}/api/items`), /missing/);
  });

  it('a token signed with another secret is 401', async () => {
    expectUnauthorized(
      await withToken(`${backend.url}/api/items`, await fresh(randomBytes(32))),
      /not valid/,
    );
  });

  it('a fresh token is accepted once; sent again it is a replay, 401', async () => {
    const token = await fresh();
    expect((await withToken(`${backend.url}/api/items`, token)).status).toBe(
      200,
    );
    expectUnauthorized(
      await withToken(`${backend.url}/api/items`, token),
      /already been used/,
    );
    // Another path or method does not make it new.
    expectUnauthorized(
      await timedFetch(`${backend.url}/anything`, {
        method: 'POST',
        headers: { 'x-my-jwt': token },
      }),
      /already been used/,
    );
  });

  it('an expired token is 401', async () => {
    const token = await signed({
      iat: nowS() - 120,
      exp: nowS() - 60,
      jti: randomUUID(),
    });
    expectUnauthorized(
      await withToken(`${backend.url}/api/items`, token),
      /expired/,
    );
  });

  it('a token without exp, such as one signed in 2020, is 401', async () => {
    const token = await signed({
      iat: Date.UTC(2020, 0, 1) / 1000,
      jti: randomUUID(),
    });
    expectUnauthorized(
      await withToken(`${backend.url}/api/items`, token),
      /not valid/,
    );
  });

  it('a token without iat or jti is 401', async () => {
    for (const claims of [
      { exp: nowS() + 60, jti: randomUUID() },
      { iat: nowS(), exp: nowS() + 60 },
    ])
      expectUnauthorized(
        await withToken(`${backend.url}/api/items`, await signed(claims)),
        /not valid/,
      );
  });

  it('a token living longer than JWT_TTL_S is 401, even while unexpired', async () => {
    const token = await signed({
      iat: nowS(),
      exp: nowS() + 3600,
      jti: randomUUID(),
    });
    expectUnauthorized(
      await withToken(`${backend.url}/api/items`, token),
      /within 60 s/,
    );
  });
});

describe('B-3 with JWT_SECRET_ENCODING=utf8 on both sides', () => {
  const text = 'a shared secret of some length';
  let backend: AppProcess;
  let gateway: AppProcess;

  beforeAll(async () => {
    const env = { JWT_SECRET: text, JWT_SECRET_ENCODING: 'utf8' };
    backend = await startBackend(env);
    gateway = await startGateway({
      ...env,
      BACKEND_URL: backend.url,
      DUPLICATE_DELAY_MS: '0',
    });
  });
  afterAll(() => Promise.all([gateway?.stop(), backend?.stop()]));

  it("verifies a fresh token signed with the string's own bytes, once", async () => {
    const token = await fresh(Buffer.from(text, 'utf8'));
    expect((await withToken(`${backend.url}/api/items`, token)).status).toBe(
      200,
    );
    expectUnauthorized(
      await withToken(`${backend.url}/api/items`, token),
      /already been used/,
    );
  });

  it('G-8: requests through the gateway are accepted', async () => {
    for (let i = 0; i < 2; i++)
      expect((await timedFetch(`${gateway.url}/api/items`)).status).toBe(200);
  });
});
