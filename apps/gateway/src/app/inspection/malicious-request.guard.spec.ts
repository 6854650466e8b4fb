import { ProblemException } from '@gatehouse/shared/http';
import {
  executionFor,
  providersModule,
  proxiedContext,
} from '../testing/gateway.testing';
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

  const post = (body: string) => {
    const context = proxiedContext({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    context.body = Buffer.from(body);
    return executionFor(context);
  };

  it('passes a clean body, synchronously', () => {
    expect(guard.canActivate(post('{"order":7}'))).toBe(true);
  });

  it('refuses a flagged body with the 401 problem', () => {
    expect(() =>
      guard.canActivate(post('{"a":{"is_malicious":true}}')),
    ).toThrow(expect.objectContaining({ status: 401 }) as ProblemException);
  });
});
