import { ProblemException } from '@gatehouse/shared/http';
import { gatewaySchema, GatewayConfig } from '../gateway.config';
import { ForwardProxyRouter } from './forward-proxy.router';

function router(allow: string | undefined): ForwardProxyRouter {
  return new ForwardProxyRouter({
    FORWARD_PROXY_ALLOW: gatewaySchema.FORWARD_PROXY_ALLOW.parse(allow),
    UPSTREAM_TIMEOUT_MS: 1_000,
  } as GatewayConfig);
}

function status(run: () => unknown): number | undefined {
  try {
    run();
  } catch (error) {
    return (error as ProblemException).getStatus();
  }
  return undefined;
}

describe('ForwardProxyRouter (G-9)', () => {
  const allowed = router('Example.com, 127.0.0.1:8081');
  afterAll(() => allowed.onApplicationShutdown());

  it('is off by default: every absolute-form target is 403', () => {
    expect(status(() => router(undefined).resolve('http://example.com/'))).toBe(
      403,
    );
  });

  it('routes an allowed host with the path and query bytes unchanged', () => {
    const target = allowed.resolve('http://EXAMPLE.com/a%2Fb?x=%zz');
    expect(target).toMatchObject({
      origin: 'http://example.com',
      host: 'example.com',
      path: '/a%2Fb?x=%zz',
    });
    expect(allowed.resolve('http://example.com:80').path).toBe('/');
    expect(allowed.resolve('http://127.0.0.1:8081?q=1').path).toBe('/?q=1');
  });

  it.each([
    'http://example.com:8080/',
    'http://127.0.0.1/',
    'http://evil.example/',
    'http://user@example.com/',
    'https://example.com/',
    '*',
  ])('denies %s with 403', (target) => {
    expect(status(() => allowed.resolve(target))).toBe(403);
  });

  it('refuses an allowlist entry that is not a host', () => {
    expect(() =>
      gatewaySchema.FORWARD_PROXY_ALLOW.parse('example.com/path'),
    ).toThrow(/not a host/);
  });
});
