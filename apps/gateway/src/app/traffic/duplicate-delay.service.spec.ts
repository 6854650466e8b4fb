import { loadConfig } from '@gatehouse/shared/config';
import { ProblemException } from '@gatehouse/shared/http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gatewaySchema } from '../gateway.config';
import { RequestContext } from '../request/request-context';
import { DuplicateDelay } from './duplicate-delay.service';
import type { GatewayStore } from './gateway.store';
import { MemoryStore } from './memory.store';

function context(client: string, body = 'b', complete = true): RequestContext {
  const req = {
    method: 'POST',
    url: '/x',
    rawHeaders: ['Host', 'h'],
    headers: {},
    socket: { bytesWritten: 0 },
  } as unknown as IncomingMessage;
  const ctx = new RequestContext(req, {} as ServerResponse, 'id', client, 0);
  ctx.body = Buffer.from(body);
  ctx.bodyComplete = complete;
  return ctx;
}

async function apply(
  interceptor: DuplicateDelay,
  ctx: RequestContext,
): Promise<void> {
  if (await interceptor.observe(ctx)) await interceptor.hold(ctx);
}

describe('DuplicateDelay (G-3)', () => {
  const config = loadConfig(gatewaySchema, {
    DUPLICATE_DELAY_MS: '50',
    MAX_HELD: '1',
  });

  it('holds an exact replay for the configured delay and marks it delayed', async () => {
    const interceptor = new DuplicateDelay(
      new MemoryStore({ maxClients: 100, ttlMs: 60_000, maxPaths: 100 }),
      config,
    );
    const first = context('a');
    await apply(interceptor, first);
    expect(first.decision).toBe('forwarded');
    const second = context('a');
    await apply(interceptor, second);
    expect(second.decision).toBe('delayed');
    expect(second.delayMs).toBeGreaterThanOrEqual(50);
  });

  it('never treats an unfingerprintable body as a replay', async () => {
    const interceptor = new DuplicateDelay(
      new MemoryStore({ maxClients: 100, ttlMs: 60_000, maxPaths: 100 }),
      config,
    );
    await apply(interceptor, context('a', 'big', false));
    const again = context('a', 'big', false);
    await apply(interceptor, again);
    expect(again.decision).toBe('forwarded');
  });

  it('rejects with 429 once MAX_HELD replays are held', async () => {
    const interceptor = new DuplicateDelay(
      new MemoryStore({ maxClients: 100, ttlMs: 60_000, maxPaths: 100 }),
      config,
    );
    await apply(interceptor, context('a'));
    await apply(interceptor, context('b'));
    const holding = apply(interceptor, context('a'));
    const rejected = apply(interceptor, context('b'));
    await expect(rejected).rejects.toBeInstanceOf(ProblemException);
    await expect(rejected).rejects.toMatchObject({
      headers: { 'retry-after': '1' },
    });
    await holding;
    expect(interceptor.heldNow).toBe(0);
  });

  it('fails open when the store is down', async () => {
    const broken = {
      swapLastRequest: () => Promise.reject(new Error('down')),
    } as unknown as GatewayStore;
    const interceptor = new DuplicateDelay(broken, config);
    const ctx = context('a');
    await expect(interceptor.observe(ctx)).resolves.toBe(false);
    expect(ctx.decision).toBe('forwarded');
  });

  it('decides at once, without a promise, when the store swaps in the process', () => {
    const store = new MemoryStore({
      maxClients: 10,
      ttlMs: 60_000,
      maxPaths: 10,
    });
    const interceptor = new DuplicateDelay(store, config);
    expect(interceptor.observe(context('a'))).toBe(false);
    expect(interceptor.observe(context('a'))).toBe(true);
    expect(interceptor.observe(context('a', 'other'))).toBe(false);
  });

  it('fails open at once when an in-process swap throws', () => {
    const broken = {
      swapLastRequest: () => Promise.reject(new Error('unused')),
      swapLastRequestNow: () => {
        throw new Error('down');
      },
    } as unknown as GatewayStore;
    const interceptor = new DuplicateDelay(broken, config);
    expect(interceptor.observe(context('a'))).toBe(false);
  });
});
