import { ProblemException } from '@gatehouse/shared/http';
import { executionFor, providersModule } from '../testing/gateway.testing';
import { bodyContext } from './body-context.testing';
import { MaliciousPayloadInspector } from './malicious-payload.inspector';
import { MaliciousRequestGuard } from './malicious-request.guard';

describe('MaliciousRequestGuard (G-2)', () => {
  let guard: MaliciousRequestGuard;

  beforeEach(async () => {
    const module = await providersModule([
      MaliciousRequestGuard,
      MaliciousPayloadInspector,
    ]);
    guard = module.get(MaliciousRequestGuard);
  });

  const post = (body: string) =>
    executionFor(
      bodyContext('POST', { 'content-type': 'application/json' }, body),
    );

  it('passes a clean body, synchronously', () => {
    expect(guard.canActivate(post('{"order":7}'))).toBe(true);
  });

  it('refuses a flagged body with the 401 problem', () => {
    expect(() =>
      guard.canActivate(post('{"a":{"is_malicious":true}}')),
    ).toThrow(expect.objectContaining({ status: 401 }) as ProblemException);
  });
});
