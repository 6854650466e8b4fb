import type { ExecutionContext } from '@nestjs/common';
import { loadConfig } from '@gatehouse/shared/config';
import { ProblemException } from '@gatehouse/shared/http';
import { SignJWT } from 'jose';
import { randomBytes, randomUUID } from 'node:crypto';
import { backendSchema, checkBackendConfig } from './backend.config';
import { JwtReplayCache } from './jwt-replay.cache';
import { JwtVerifyGuard } from './jwt-verify.guard';

const secret = randomBytes(32);

function guardWith(env: Record<string, string> = {}): JwtVerifyGuard {
  const config = loadConfig(
    backendSchema,
    { JWT_SECRET: secret.toString('hex'), ...env },
    checkBackendConfig,
  );
  return new JwtVerifyGuard(config, new JwtReplayCache(1000));
}

function contextFor(token?: string, url = '/api/items'): ExecutionContext {
  const req = {
    url,
    headers: token === undefined ? {} : { 'x-my-jwt': token },
  };
  return {
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
}

// Claims relative to now, in seconds; null leaves a claim out.
function sign(
  claims: { iat?: number | null; exp?: number | null; jti?: string | null },
  key: Uint8Array = secret,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const body: Record<string, unknown> = { payload: { user: 'alice' } };
  const iat = claims.iat === undefined ? 0 : claims.iat;
  const exp = claims.exp === undefined ? 60 : claims.exp;
  if (iat !== null) body.iat = now + iat;
  if (exp !== null) body.exp = now + exp;
  if (claims.jti !== null) body.jti = claims.jti ?? randomUUID();
  return new SignJWT(body).setProtectedHeader({ alg: 'HS512' }).sign(key);
}

async function refusal(
  guard: JwtVerifyGuard,
  token?: string,
): Promise<string | undefined> {
  try {
    await guard.canActivate(contextFor(token));
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemException);
    expect((error as ProblemException).getStatus()).toBe(401);
    return (error as ProblemException).message;
  }
}

describe('JwtVerifyGuard (B-3)', () => {
  it('accepts a fresh token once; the same token again is a replay', async () => {
    const guard = guardWith();
    const token = await sign({});
    await expect(guard.canActivate(contextFor(token))).resolves.toBe(true);
    expect(await refusal(guard, token)).toBeDefined();
  });

  it.each([
    ['a missing token', undefined],
    ['a forged token', sign({}, randomBytes(32))],
    ['an expired token', sign({ iat: -120, exp: -60 })],
    ['a token without exp', sign({ exp: null })],
    ['a token without iat', sign({ iat: null })],
    ['a token without jti', sign({ jti: null })],
    ['a token with an empty jti', sign({ jti: '' })],
    ['a token issued in the future', sign({ iat: 30, exp: 60 })],
    ['a token living longer than JWT_TTL_S', sign({ exp: 61 })],
    ['a token expiring before it is issued', sign({ iat: 0, exp: -1 })],
  ])('refuses %s with 401', async (_name, token) => {
    expect(await refusal(guardWith(), await token)).toBeDefined();
  });

  it('allows a few seconds of clock skew on iat and exp', async () => {
    const guard = guardWith();
    await expect(
      guard.canActivate(contextFor(await sign({ iat: 3, exp: 60 }))),
    ).resolves.toBe(true);
    await expect(
      guard.canActivate(contextFor(await sign({ iat: -60, exp: -2 }))),
    ).resolves.toBe(true);
  });

  it('accepts a lifetime up to its own JWT_TTL_S', async () => {
    const guard = guardWith({ JWT_TTL_S: '300' });
    await expect(
      guard.canActivate(contextFor(await sign({ exp: 300 }))),
    ).resolves.toBe(true);
    expect(await refusal(guard, await sign({ exp: 301 }))).toBeDefined();
  });

  it('a refused token does not use up its jti', async () => {
    const guard = guardWith();
    const jti = randomUUID();
    expect(await refusal(guard, await sign({ jti, exp: 600 }))).toBeDefined();
    await expect(
      guard.canActivate(contextFor(await sign({ jti }))),
    ).resolves.toBe(true);
  });

  it('verifies with the secret string’s own bytes with JWT_SECRET_ENCODING=utf8', async () => {
    const text = 'a shared secret of some length';
    const config = loadConfig(backendSchema, {
      JWT_SECRET: text,
      JWT_SECRET_ENCODING: 'utf8',
    });
    const guard = new JwtVerifyGuard(config, new JwtReplayCache(1000));
    const token = await sign({}, Buffer.from(text, 'utf8'));
    await expect(guard.canActivate(contextFor(token))).resolves.toBe(true);
  });

  it('leaves /health/ and /_mock/ open, and everything open without JWT_SECRET', async () => {
    const guard = guardWith();
    await expect(
      guard.canActivate(contextFor(undefined, '/health/live')),
    ).resolves.toBe(true);
    const open = new JwtVerifyGuard(
      loadConfig(backendSchema, {}),
      new JwtReplayCache(1000),
    );
    await expect(open.canActivate(contextFor())).resolves.toBe(true);
  });
});
