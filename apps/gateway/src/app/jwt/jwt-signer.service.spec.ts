import { decodeProtectedHeader, jwtVerify } from 'jose';
import { randomBytes } from 'node:crypto';
import type { GatewayConfig } from '../gateway.config';
import { JWT_HEADER, JwtSigner } from './jwt-signer.service';

const secret = randomBytes(32);
const config = {
  JWT_SECRET: secret.toString('hex'),
  JWT_SECRET_ENCODING: 'hex',
  JWT_USER: 'alice',
} as GatewayConfig;

describe('JwtSigner (G-8)', () => {
  it('signs an HS512 JWT that jose verifies with the secret', async () => {
    const now = Date.UTC(2025, 2, 4, 23, 59, 30);
    const header = new JwtSigner(config).header(now);
    expect(header?.[0]).toBe(JWT_HEADER);
    const token = header?.[1] ?? '';
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS512', typ: 'JWT' });
    const { payload } = await jwtVerify(token, secret, {
      algorithms: ['HS512'],
      currentDate: new Date(now),
    });
    expect(payload).toEqual({
      iat: Math.floor(now / 1000),
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      payload: { user: 'alice', date: '2025-03-04' },
    });
  });

  it('gives every token a unique jti', async () => {
    const signer = new JwtSigner(config);
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const token = signer.header()?.[1] ?? '';
      const claims = JSON.parse(
        Buffer.from(token.split('.')[1], 'base64url').toString(),
      ) as { jti: string };
      ids.add(claims.jti);
    }
    expect(ids.size).toBe(1000);
  });

  it('a token signed with another secret does not verify', async () => {
    const token =
      new JwtSigner({
        ...config,
        JWT_SECRET: randomBytes(32).toString('hex'),
      }).header()?.[1] ?? '';
    await expect(jwtVerify(token, secret)).rejects.toThrow();
  });

  it("uses the secret string's own bytes with JWT_SECRET_ENCODING=utf8", async () => {
    const text = 'a shared secret of some length';
    const token =
      new JwtSigner({
        ...config,
        JWT_SECRET: text,
        JWT_SECRET_ENCODING: 'utf8',
      }).header()?.[1] ?? '';
    await expect(
      jwtVerify(token, Buffer.from(text, 'utf8')),
    ).resolves.toBeDefined();
  });

  it('is off without JWT_SECRET', () => {
    const signer = new JwtSigner({ ...config, JWT_SECRET: undefined });
    expect(signer.enabled).toBe(false);
    expect(signer.header()).toBeUndefined();
  });
});
