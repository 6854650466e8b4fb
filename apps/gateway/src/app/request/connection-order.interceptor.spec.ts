import type { Socket } from 'node:net';
import { lastValueFrom } from 'rxjs';
import {
  callHandler,
  executionFor,
  proxiedContext,
} from '../testing/gateway.testing';
import { placeOn } from './connection-order';
import { ConnectionOrderInterceptor } from './connection-order.interceptor';

describe('ConnectionOrderInterceptor (G-1)', () => {
  const interceptor = new ConnectionOrderInterceptor();
  const onConnection = (socket: Socket) => {
    const context = proxiedContext();
    context.place = placeOn(socket);
    return context;
  };

  it('hands the first request on a connection on at once, and decides its turn', () => {
    const context = onConnection({} as Socket);
    const next = callHandler();
    interceptor.intercept(executionFor(context), next);
    expect(next.handle).toHaveBeenCalledTimes(1);
    expect(context.place?.turn.decided).toBe(true);
  });

  it('waits for the request before it on the connection', async () => {
    const socket = {} as Socket;
    const first = onConnection(socket);
    const second = onConnection(socket);
    const next = callHandler();
    const handled = lastValueFrom(
      interceptor.intercept(executionFor(second), next),
    );
    await Promise.resolve();
    expect(next.handle).not.toHaveBeenCalled();
    first.place?.turn.decide();
    await expect(handled).resolves.toBe('handled');
  });

  it('forwards nothing behind an error answer: the connection closes', async () => {
    const socket = {} as Socket;
    const first = onConnection(socket);
    const second = onConnection(socket);
    first.place?.cut();
    const next = callHandler();
    await lastValueFrom(interceptor.intercept(executionFor(second), next));
    expect(next.handle).not.toHaveBeenCalled();
    expect(second.decision).toBe('rejected');
    expect(second.error).toBe('connection-closed');
    expect(second.res.destroy).toHaveBeenCalled();
  });
});
