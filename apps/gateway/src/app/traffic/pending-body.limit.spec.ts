import type { GatewayConfig } from '../gateway.config';
import { PendingBodyLimit } from './pending-body.limit';

describe('PendingBodyLimit (G-6)', () => {
  const limit = () =>
    new PendingBodyLimit({ MAX_PENDING_BODIES: 2 } as GatewayConfig);

  it('caps pending bodies per client with 429, and counts them all', () => {
    const pending = limit();
    const a1 = pending.acquire('a');
    pending.acquire('a');
    pending.acquire('b');
    expect(pending.current).toBe(3);
    expect(() => pending.acquire('a')).toThrow(
      expect.objectContaining({ status: 429 }),
    );
    a1();
    a1();
    expect(pending.current).toBe(2);
    expect(() => pending.acquire('a')).not.toThrow();
  });
});
