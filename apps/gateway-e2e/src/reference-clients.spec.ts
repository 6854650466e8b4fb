import {
  AppProcess,
  eventually,
  RecordingUpstream,
} from '@gatehouse/shared/testing';
import { jwtVerify } from 'jose';
import { randomBytes } from 'node:crypto';
import {
  GatewayUnderTest,
  rawRequest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';
import {
  requestLines,
  scenario,
  startBackend,
  startGateway,
  timedFetch,
} from './support/traffic.test-helper';

// Clients written for the reference systems, sending their requests as they are.

describe('G-3 and G-7: the replay hold and /api/smart', () => {
  let backend: AppProcess;
  let exempt: AppProcess;
  let held: AppProcess;

  beforeAll(async () => {
    backend = await startBackend();
    const env = {
      BACKEND_URL: backend.url,
      DUPLICATE_DELAY_MS: '2000',
      HEDGE_AFTER_MS: '200',
    };
    [exempt, held] = await Promise.all([
      startGateway(env),
      startGateway({ ...env, DUPLICATE_DELAY_HEDGED: '1' }),
    ]);
  });
  afterAll(() => Promise.all([exempt?.stop(), held?.stop(), backend?.stop()]));

  it('exempts hedged routes from the hold by default: a repeated call is not held', async () => {
    const first = await timedFetch(`${exempt.url}/api/smart?timeout=500`);
    const second = await timedFetch(`${exempt.url}/api/smart?timeout=500`);
    expect([first.status, second.status]).toEqual([200, 200]);
    // It used to come back after 2.007 s: held for the whole replay delay.
    expect(second.ms).toBeLessThan(2000);
    const lines = await eventually(
      () => {
        const found = requestLines(exempt).filter(
          (l) => l['path'] === '/api/smart',
        );
        return found.length === 2 ? found : undefined;
      },
      10_000,
      'both log lines',
    );
    for (const line of lines)
      expect(line).toMatchObject({ decision: 'forwarded', delayMs: 0 });
  });

  it('when configured to hold them, never holds a call past its timeout (counted from arrival)', async () => {
    const first = await timedFetch(`${held.url}/api/smart?timeout=500`);
    expect(first.status).toBe(200);
    const second = await timedFetch(`${held.url}/api/smart?timeout=500`);
    expect(second.status).toBe(504);
    expect(second.headers.get('content-type')).toBe('application/problem+json');
    expect(second.headers.get('x-hedge-copies')).toBe('0');
    expect(second.ms).toBeLessThan(2000);
    const line = await held.waitForLog(
      (l) =>
        l['msg'] === 'request' &&
        l['path'] === '/api/smart' &&
        l['status'] === 504,
    );
    expect(line['delayMs']).toBeLessThan(1000);
  });

  it('says x-hedge-copies on 502 and 504 answers too', async () => {
    await scenario(backend, [
      [{ error: 1 }, 500, 0],
      [{ error: 2 }, 500, 0],
      [{ error: 3 }, 500, 0],
    ]);
    const failed = await timedFetch(`${exempt.url}/api/smart?timeout=5000`);
    expect(failed.status).toBe(502);
    expect(failed.headers.get('x-hedge-copies')).toBe('3');
    await scenario(backend, [
      [{ slow: 1 }, 200, 3000],
      [{ slow: 2 }, 200, 3000],
      [{ slow: 3 }, 200, 3000],
    ]);
    const late = await timedFetch(`${exempt.url}/api/smart?timeout=600`);
    expect(late.status).toBe(504);
    expect(late.headers.get('x-hedge-copies')).toBe('3');
    const refused = await timedFetch(`${exempt.url}/api/smart?timeout=abc`);
    expect(refused.status).toBe(400);
    expect(refused.headers.get('x-hedge-copies')).toBe('0');
  });
});

describe('G-8 JWT interop: JWT_SECRET_ENCODING=utf8', () => {
  const secret = 'a plain text secret shared with HS512 peers';
  let sut: GatewayUnderTest;

  beforeAll(async () => {
    sut = await startGatewayWithRecorder({
      JWT_SECRET: secret,
      JWT_SECRET_ENCODING: 'utf8',
      DUPLICATE_DELAY_MS: '0',
    });
  });
  afterAll(() => sut?.stop());

  it('signs with the secret string’s own bytes, as the reference system’s peers verify', async () => {
    expect((await fetch(`${sut.gateway.url}/peer`)).status).toBe(200);
    const token = sut.upstream.requests[0].headers['x-my-jwt'] as string;
    const { payload } = await jwtVerify(token, Buffer.from(secret, 'utf8'), {
      algorithms: ['HS512'],
    });
    expect(payload['payload']).toMatchObject({ user: 'gatehouse' });
  });
});

describe('G-8 and B-3: a utf8 secret shared by the gateway and the backend', () => {
  const env = {
    JWT_SECRET: 'another plain text secret, utf8',
    JWT_SECRET_ENCODING: 'utf8',
  };
  let backend: AppProcess;
  let gateway: AppProcess;

  beforeAll(async () => {
    backend = await startBackend(env);
    gateway = await startGateway({
      ...env,
      BACKEND_URL: backend.url,
      DUPLICATE_DELAY_MS: '0',
    });
  });
  afterAll(() => Promise.all([gateway?.stop(), backend?.stop()]));

  it('verifies through the gateway, and refuses a request without the token', async () => {
    expect((await timedFetch(`${gateway.url}/anything`)).status).toBe(200);
    expect((await timedFetch(`${backend.url}/anything`)).status).toBe(401);
  });
});

describe('G-8 and G-9: forward-proxy requests to allowlisted hosts carry the token', () => {
  const secretHex = randomBytes(32).toString('hex');
  let host: RecordingUpstream;
  let hostAuthority: string;
  let withJwt: GatewayUnderTest;
  let withoutJwt: GatewayUnderTest;

  beforeAll(async () => {
    host = new RecordingUpstream();
    hostAuthority = new URL(await host.listen()).host;
    const env = {
      FORWARD_PROXY_ALLOW: hostAuthority,
      JWT_SECRET: secretHex,
      DUPLICATE_DELAY_MS: '0',
    };
    [withJwt, withoutJwt] = await Promise.all([
      startGatewayWithRecorder(env),
      startGatewayWithRecorder({ ...env, FORWARD_PROXY_JWT: '0' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([withJwt?.stop(), withoutJwt?.stop()]);
    await host?.close();
  });
  beforeEach(() => host.requests.splice(0));

  // What `curl --proxy http://gateway:8080 http://host/get` sends.
  const proxied = (port: number, extra = '') =>
    rawRequest(
      port,
      `GET http://${hostAuthority}/get HTTP/1.1\r\nHost: ${hostAuthority}\r\n${extra}Connection: close\r\n\r\n`,
    );

  it('injects x-my-jwt for an allowlisted host when JWT_SECRET is set', async () => {
    expect(
      (await proxied(withJwt.gateway.port, 'X-My-Jwt: forged\r\n')).status,
    ).toBe(200);
    const token = host.requests[0].headers['x-my-jwt'] as string;
    expect(token).not.toBe('forged');
    await expect(
      jwtVerify(token, Buffer.from(secretHex, 'hex')),
    ).resolves.toBeDefined();
  });

  it('FORWARD_PROXY_JWT=0 turns it off', async () => {
    expect((await proxied(withoutJwt.gateway.port)).status).toBe(200);
    expect(host.requests[0].headers['x-my-jwt']).toBeUndefined();
  });
});
