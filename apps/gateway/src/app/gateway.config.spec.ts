import { ConfigError, loadConfig } from '@gatehouse/shared/config';
import { checkGatewayConfig, gatewaySchema, jwtKey } from './gateway.config';

const load = (env: Record<string, string>) =>
  loadConfig(gatewaySchema, env, checkGatewayConfig);

describe('gateway configuration', () => {
  it('decodes JWT_SECRET as hex by default, and as the string’s bytes with utf8 (G-8)', () => {
    const hex = 'ab'.repeat(16);
    expect(jwtKey(load({ JWT_SECRET: hex }))).toEqual(Buffer.from(hex, 'hex'));
    const text = 'sixteen bytes or more';
    expect(
      jwtKey(load({ JWT_SECRET: text, JWT_SECRET_ENCODING: 'utf8' })),
    ).toEqual(Buffer.from(text, 'utf8'));
    expect(jwtKey(load({}))).toBeUndefined();
  });

  it.each([
    [{ JWT_SECRET: 'not hex at all, but long enough' }, 'JWT_SECRET'],
    [{ JWT_SECRET: 'abcd' }, 'JWT_SECRET'],
    [{ JWT_SECRET: 'short', JWT_SECRET_ENCODING: 'utf8' }, 'JWT_SECRET'],
    [{ JWT_SECRET_ENCODING: 'base64' }, 'JWT_SECRET_ENCODING'],
    [{ FORWARD_PROXY_JWT: 'yes' }, 'FORWARD_PROXY_JWT'],
    [{ DUPLICATE_DELAY_HEDGED: 'true' }, 'DUPLICATE_DELAY_HEDGED'],
    [{ MAX_TUNNELS: '0' }, 'MAX_TUNNELS'],
    [{ BODY_TIMEOUT_MS: '10' }, 'BODY_TIMEOUT_MS'],
    [{ MAX_HEADER_FIELDS: 'many' }, 'MAX_HEADER_FIELDS'],
    [{ JWT_TTL_S: '0' }, 'JWT_TTL_S'],
    [{ JWT_TTL_S: '1.5' }, 'JWT_TTL_S'],
    [{ JWT_TTL_S: '86400' }, 'JWT_TTL_S'],
    [{ REDIS_CLUSTER_NODES: '10.0.0.1' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'redis://10.0.0.1:6379' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_PREFIX: 'app:{x}:' }, 'REDIS_PREFIX'],
  ])('refuses %p naming %s, never echoing a secret', (env, variable) => {
    let error: unknown;
    try {
      load(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    if ('JWT_SECRET' in env)
      expect((error as Error).message).not.toContain(env.JWT_SECRET);
  });

  it('defaults the new switches: hedged routes exempt from the hold, forward-proxy JWT on', () => {
    const config = load({});
    expect(config.DUPLICATE_DELAY_HEDGED).toBe(false);
    expect(config.FORWARD_PROXY_JWT).toBe(true);
    expect(config.JWT_SECRET_ENCODING).toBe('hex');
  });

  it('G-8: injected tokens live JWT_TTL_S seconds, 60 by default, at most an hour', () => {
    expect(load({}).JWT_TTL_S).toBe(60);
    expect(load({ JWT_TTL_S: '3600' }).JWT_TTL_S).toBe(3600);
  });

  it('G-5: REDIS_CLUSTER_NODES lists host:port seed nodes', () => {
    expect(
      load({ REDIS_CLUSTER_NODES: 'redis-a:7000, 10.0.0.2:7001,[::1]:7002' })
        .REDIS_CLUSTER_NODES,
    ).toEqual([
      { host: 'redis-a', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(load({}).REDIS_CLUSTER_NODES).toEqual([]);
  });

  it('G-5: REDIS_URL and REDIS_CLUSTER_NODES together are a boot error naming both', () => {
    expect(() =>
      load({
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_CLUSTER_NODES: '127.0.0.1:7000',
      }),
    ).toThrow(
      expect.objectContaining({
        variable: 'REDIS_CLUSTER_NODES',
        message: expect.stringMatching(/REDIS_CLUSTER_NODES.*REDIS_URL/),
      }),
    );
  });
});
