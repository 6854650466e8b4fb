import { decodeProtectedHeader, jwtVerify } from 'jose';
import { randomBytes } from 'node:crypto';
import type { GatewayConfig } from '../gateway.config';
import { JWT_HEADER, JwtSigner } from './jwt-signer.service';

const secret = randomBytes(32);
const config = {
  JWT_SECRET: secret.toString('hex'),
  JWT_SECRET_ENCODING: 'hex',
  JWT_USER: 'alice',
  JWT_TTL_S: 60,
} as GatewayConfig;

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(
    Buffer.from(token.split('.')[1], 'base64url').toString(),
  ) as Record<string, unknown>;
}

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
      exp: Math.floor(now / 1000) + 60,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      payload: { user: 'alice', date: '2025-03-04' },
    });
  });

  it('expires JWT_TTL_S seconds after iat, and jose refuses it past exp', async () => {
    const now = Date.UTC(2025, 2, 4, 12, 0, 0, 999);
    const token =
      new JwtSigner({ ...config, JWT_TTL_S: 5 }).header(now)?.[1] ?? '';
    const iat = Math.floor(now / 1000);
    expect(claimsOf(token)).toMatchObject({ iat, exp: iat + 5 });
    await expect(
      jwtVerify(token, secret, { currentDate: new Date((iat + 4) * 1000) }),
    ).resolves.toBeDefined();
    await expect(
      jwtVerify(token, secret, { currentDate: new Date((iat + 5) * 1000) }),
    ).rejects.toThrow(/"exp" claim timestamp check failed/);
  });

  it('gives every token a unique jti, even when signed in the same millisecond', async () => {
    const signer = new JwtSigner(config);
    const now = Date.now();
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const jti = claimsOf(signer.header(now)?.[1] ?? '').jti;
      expect(typeof jti).toBe('string');
      ids.add(jti as string);
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
