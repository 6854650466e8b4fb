import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { InterceptorsConsumer } from '@nestjs/core/interceptors/interceptors-consumer';
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { finalize, from, lastValueFrom, map, Observable } from 'rxjs';

// Every proxied request runs ProxyController's interceptors through Nest's InterceptorsConsumer.
// patches/@nestjs+core+*.patch (applied by npm's postinstall) makes each level of its chain one
// subscription in one AsyncResource scope, instead of defer + mergeAll + AsyncResource.bind:
// see docs/adr/0001-hot-path-http-client.md. These specs hold the consumer to Nest's contract,
// and fail if the installed @nestjs/core is not the patched one.
type Interceptor = {
  intercept(context: ExecutionContext, next: CallHandler): unknown;
};

class Controller {
  handle(): void {
    // The consumer only reads the instance's class and the handler.
  }
}

function run(
  interceptors: Interceptor[],
  handler: () => Promise<unknown>,
): Promise<unknown> {
  const controller = new Controller();
  return new InterceptorsConsumer()
    .intercept(
      interceptors as never,
      [],
      controller,
      controller.handle,
      handler,
      'http',
    )
    .then((result) => lastValueFrom(result as Observable<unknown>));
}

describe("Nest's interceptor consumer on the proxied path", () => {
  it('runs the interceptors in order around the handler, outermost first', async () => {
    const seen: string[] = [];
    const tag = (name: string): Interceptor => ({
      intercept: (_context, next) => {
        seen.push(`${name} in`);
        return next.handle().pipe(
          map((value) => `${name}(${value})`),
          finalize(() => seen.push(`${name} out`)),
        );
      },
    });
    const result = await run([tag('a'), tag('b')], async () => {
      seen.push('handler');
      return 'x';
    });
    expect(result).toBe('a(b(x))');
    expect(seen).toEqual(['a in', 'b in', 'handler', 'b out', 'a out']);
  });

  it('keeps the async context next.handle() was called in, down to the handler', async () => {
    const storage = new AsyncLocalStorage<string>();
    const result = await run(
      [
        {
          intercept: (_context, next) =>
            storage.run('set by the interceptor', () => next.handle()),
        },
        { intercept: (_context, next) => next.handle() },
      ],
      async () => storage.getStore(),
    );
    expect(result).toBe('set by the interceptor');
  });

  it('takes an Observable wrapped in a Promise, and passes thrown errors on', async () => {
    const later: Interceptor = {
      intercept: async (_context, next) => next.handle(),
    };
    await expect(run([later], async () => 'late')).resolves.toBe('late');
    const throwing: Interceptor = {
      intercept: () => {
        throw new Error('refused');
      },
    };
    await expect(run([throwing], async () => 'never')).rejects.toThrow(
      'refused',
    );
    await expect(
      run([later], () => Promise.reject(new Error('handler failed'))),
    ).rejects.toThrow('handler failed');
  });

  it('does not call the handler when an interceptor answers by itself', async () => {
    const handler = jest.fn(async () => 'handler');
    const cached: Interceptor = { intercept: () => from(['cached']) };
    await expect(run([cached], handler)).resolves.toBe('cached');
    expect(handler).not.toHaveBeenCalled();
  });

  it('binds no function per level: the patch in patches/ is installed', async () => {
    const bind = jest.spyOn(AsyncResource, 'bind');
    try {
      const pass: Interceptor = {
        intercept: (_context, next) => next.handle(),
      };
      await run([pass, pass], async () => 'ok');
      expect(bind).not.toHaveBeenCalled();
    } finally {
      bind.mockRestore();
    }
  });
});
