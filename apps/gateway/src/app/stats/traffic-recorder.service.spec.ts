import type { WebSocketTunnels } from '../websocket/websocket-tunnel.service';
import type { InFlightLimit } from '../traffic/in-flight.limit';
import type { PendingBodyLimit } from '../traffic/pending-body.limit';
import { GatewayMetrics } from './gateway.metrics';
import type { GatewayConfig } from '../gateway.config';
import type { RequestContext } from '../request/request-context';
import { emptyDecisionCounts } from '../traffic/gateway.store';
import { MemoryStore } from '../traffic/memory.store';
import { TrafficRecorder } from './traffic-recorder.service';

function context(path: string, decision: RequestContext['decision']) {
  return { path, decision, startedAt: 0, latencyMs: 5 } as RequestContext;
}

// The gauges read these at scrape time; this spec never scrapes.
function metrics(): GatewayMetrics {
  const idle = { current: 0 };
  return new GatewayMetrics(
    idle as InFlightLimit,
    idle as PendingBodyLimit,
    idle as WebSocketTunnels,
  );
}

describe('TrafficRecorder (G-10, G-11)', () => {
  it('batches decisions and paths until flushed', async () => {
    const store = new MemoryStore({
      maxClients: 10,
      ttlMs: 1_000,
      maxPaths: 100,
    });
    const recorder = new TrafficRecorder(
      store,
      { STATS_FLUSH_MS: 60_000 } as GatewayConfig,
      metrics(),
    );
    recorder.record(context('/a', 'forwarded'));
    recorder.record(context('/a', 'blocked'));
    recorder.record(context('/b', 'forwarded'));
    expect((await store.topPaths(0, 10)).total).toBe(0);
    await recorder.flush();
    expect(await store.decisionCounts()).toEqual({
      ...emptyDecisionCounts(),
      forwarded: 2,
      blocked: 1,
    });
    expect((await store.topPaths(0, 10)).paths).toEqual([
      { path: '/a', count: 2 },
      { path: '/b', count: 1 },
    ]);
  });

  it('drops a batch the store refuses, without throwing', async () => {
    const store = new MemoryStore({
      maxClients: 10,
      ttlMs: 1_000,
      maxPaths: 100,
    });
    store.addTraffic = () => Promise.reject(new Error('down'));
    const recorder = new TrafficRecorder(
      store,
      { STATS_FLUSH_MS: 60_000 } as GatewayConfig,
      metrics(),
    );
    recorder.record(context('/a', 'forwarded'));
    await expect(recorder.flush()).resolves.toBeUndefined();
  });
});
