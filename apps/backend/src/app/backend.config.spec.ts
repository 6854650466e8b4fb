import { ConfigError, loadConfig } from '@gatehouse/shared/config';
import { backendSchema, checkBackendConfig, jwtKey } from './backend.config';

const load = (env: Record<string, string>) =>
  loadConfig(backendSchema, env, checkBackendConfig);

describe('backend configuration (B-3)', () => {
  it('decodes JWT_SECRET as hex by default, and as the string’s bytes with utf8', () => {
    const hex = 'ab'.repeat(16);
    expect(jwtKey(load({ JWT_SECRET: hex }))).toEqual(Buffer.from(hex, 'hex'));
    const text = 'sixteen bytes or more';
    expect(
      jwtKey(load({ JWT_SECRET: text, JWT_SECRET_ENCODING: 'utf8' })),
    ).toEqual(Buffer.from(text, 'utf8'));
  });

  it('accepts token lifetimes up to JWT_TTL_S (60) and remembers up to JWT_REPLAY_MAX ids by default', () => {
    expect(load({})).toMatchObject({
      JWT_TTL_S: 60,
      JWT_REPLAY_MAX: 100_000,
    });
  });

  it.each([
    [{ JWT_TTL_S: '0' }, 'JWT_TTL_S'],
    [{ JWT_TTL_S: '3601' }, 'JWT_TTL_S'],
    [{ JWT_REPLAY_MAX: '10' }, 'JWT_REPLAY_MAX'],
    [{ JWT_REPLAY_MAX: '1e9' }, 'JWT_REPLAY_MAX'],
    [{ JWT_SECRET: 'abcd' }, 'JWT_SECRET'],
  ])('refuses %p naming %s', (env, variable) => {
    let error: unknown;
    try {
      load(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
  });
});
