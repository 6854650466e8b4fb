import { Counter, Histogram, register, Registry } from 'prom-client';
import type { GatewayDecision } from '@gatehouse/shared/contracts';
import type { WebSocketTunnels } from '../websocket/websocket-tunnel.service';
import type { InFlightLimit } from '../traffic/in-flight.limit';
import type { PendingBodyLimit } from '../traffic/pending-body.limit';
import { GatewayMetrics } from './gateway.metrics';

describe('GatewayMetrics (G-11)', () => {
  it('exposes the same text as prom-client observing each request itself', async () => {
    const idle = { current: 0 };
    const metrics = new GatewayMetrics(
      idle as InFlightLimit,
      idle as PendingBodyLimit,
      idle as WebSocketTunnels,
    );
    const reference = new Registry();
    const requests = new Counter({
      name: 'gateway_requests_total',
      help: 'Proxied requests by the decision the gateway took',
      labelNames: ['decision'],
      registers: [reference],
    });
    const latency = new Histogram({
      name: 'gateway_request_duration_seconds',
      help: 'Time from request arrival to response end, by decision',
      labelNames: ['decision'],
      buckets: [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
      ],
      registers: [reference],
    });
    const observations: [GatewayDecision, number][] = [
      ['forwarded', 0.0004],
      ['forwarded', 0.001],
      ['forwarded', 0.0123],
      ['blocked', 0.002],
      ['forwarded', 12],
      ['failed', 0.3],
      ['forwarded', 0.0999],
    ];
    for (const [decision, seconds] of observations) {
      metrics.observe(decision, seconds);
      requests.inc({ decision });
      latency.observe({ decision }, seconds);
    }
    for (const name of [
      'gateway_requests_total',
      'gateway_request_duration_seconds',
    ]) {
      const ours = await register.getSingleMetricAsString(name);
      expect(ours).toBe(await reference.getSingleMetricAsString(name));
      // A second scrape shows the same counts, not twice them.
      expect(await register.getSingleMetricAsString(name)).toBe(ours);
    }
    expect(
      await register.getSingleMetricAsString('gateway_requests_total'),
    ).toContain('gateway_requests_total{decision="forwarded"} 5');
  });
});
