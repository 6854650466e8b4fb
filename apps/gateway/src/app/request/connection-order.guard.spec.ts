import type { Socket } from 'node:net';
import { executionFor, proxiedContext } from '../testing/gateway.testing';
import { placeOn } from './connection-order';
import { ConnectionOrderGuard } from './connection-order.guard';

describe('ConnectionOrderGuard (G-1)', () => {
  const guard = new ConnectionOrderGuard();
  const onConnection = (socket: Socket) => {
    const context = proxiedContext();
    context.place = placeOn(socket);
    return context;
  };

  it('lets the first request on a connection on at once', () => {
    expect(guard.canActivate(executionFor(onConnection({} as Socket)))).toBe(
      true,
    );
  });

  it('lets a pipelined request on once the one before it is decided', async () => {
    const socket = {} as Socket;
    const first = onConnection(socket);
    const second = onConnection(socket);
    let passed = false;
    const decision = Promise.resolve(
      guard.canActivate(executionFor(second)),
    ).then((result) => (passed = result));
    await new Promise((resolve) => setImmediate(resolve));
    expect(passed).toBe(false);
    first.place?.turn.decide();
    await expect(decision).resolves.toBe(true);
  });
});
