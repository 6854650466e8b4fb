import {
  ConfigError,
  hex,
  int,
  list,
  num,
  oneOf,
  optional,
  str,
  url,
} from './env-var';
import { loadConfig, serverSchema } from './load-config';

describe('loadConfig', () => {
  it('applies defaults and parses values', () => {
    const config = loadConfig(
      {
        ...serverSchema(8080),
        RATE: num('rate', { default: 0.1, min: 0, max: 1 }),
        HOSTS: list('hosts'),
      },
      { PORT: '9000', HOSTS: 'a.example, b.example:8080,' },
    );
    expect(config).toEqual({
      PORT: 9000,
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      RATE: 0.1,
      HOSTS: ['a.example', 'b.example:8080'],
    });
  });

  it.each([
    [
      'PORT',
      { PORT: 'abc' },
      /PORT must be an integer in 1\.\.65535, got "abc"/,
    ],
    ['PORT', { PORT: '70000' }, /PORT must be an integer/],
    ['PORT', { PORT: '1.5' }, /PORT must be an integer/],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
  ])('names the bad variable %s', (variable, env, message) => {
    const attempt = () => loadConfig(serverSchema(8080), env);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
    }
  });

  it('applies a cross-variable check and names the variable it blames', () => {
    const schema = {
      LOW: int('low', { default: 1 }),
      HIGH: int('high', { default: 5 }),
    };
    const check = (c: { LOW: number; HIGH: number }) =>
      c.HIGH < c.LOW ? new ConfigError('HIGH', 'must be >= LOW') : null;
    expect(loadConfig(schema, {}, check)).toEqual({ LOW: 1, HIGH: 5 });
    expect(() => loadConfig(schema, { LOW: '9' }, check)).toThrow(
      'HIGH must be >= LOW',
    );
  });

  it('requires variables without a default', () => {
    expect(() => loadConfig({ MONGODB_URI: str('uri') }, {})).toThrow(
      'MONGODB_URI is required',
    );
  });

  it('validates URLs and protocols', () => {
    expect(
      loadConfig({ U: url('u', { default: 'http://127.0.0.1:3000' }) }, {}).U
        .port,
    ).toBe('3000');
    expect(() => loadConfig({ U: url('u') }, { U: 'ftp://x' })).toThrow(
      'U must use http: or https:',
    );
    expect(() => loadConfig({ U: url('u') }, { U: 'not a url' })).toThrow(
      'U must be an absolute URL',
    );
  });

  it('never echoes a malformed secret', () => {
    expect(() =>
      loadConfig({ S: hex('secret', { minBytes: 16 }) }, { S: 'zz-secret-zz' }),
    ).toThrow(/^S must be hex encoding at least 16 bytes$/);
    expect(loadConfig({ S: optional(hex('secret')) }, {}).S).toBeUndefined();
    expect(loadConfig({ S: optional(hex('secret')) }, { S: 'abcd' }).S).toEqual(
      Buffer.from([0xab, 0xcd]),
    );
  });

  it('rejects unknown enum values and keeps the fallback', () => {
    expect(loadConfig({ M: oneOf('m', ['a', 'b'] as const, 'a') }, {}).M).toBe(
      'a',
    );
    expect(() => loadConfig({ M: int('m', { min: 0 }) }, { M: '-1' })).toThrow(
      'M must be an integer in 0..∞',
    );
  });
});
