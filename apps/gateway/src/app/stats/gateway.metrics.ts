import { Injectable } from '@nestjs/common';
import {
  GATEWAY_DECISIONS,
  GatewayDecision,
} from '@gatehouse/shared/contracts';
import { Counter, Gauge, Histogram, register } from 'prom-client';
import { WebSocketTunnels } from '../websocket/websocket-tunnel.service';
import { InFlightLimit } from '../traffic/in-flight.limit';
import { PendingBodyLimit } from '../traffic/pending-body.limit';

type Children<T> = Record<GatewayDecision, T>;

function metric<T>(name: string, create: () => T): T {
  // One registry per process: a second module instance (tests) reuses the metric.
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

// G-11: Prometheus request counters by decision and latency histograms. Children are
// bound per decision up front so that observing one request does no label lookups.
@Injectable()
export class GatewayMetrics {
  private readonly requests: Children<Counter.Internal>;
  private readonly latency: Children<Histogram.Internal<'decision'>>;

  constructor(
    inFlight: InFlightLimit,
    pendingBodies: PendingBodyLimit,
    tunnels: WebSocketTunnels,
  ) {
    // G-6: what holds the gateway's own resources right now, read at scrape time.
    const gauges: [string, string, () => number][] = [
      [
        'gateway_in_flight',
        'Forwarded requests the upstream is working on (MAX_IN_FLIGHT bounds it)',
        () => inFlight.current,
      ],
      [
        'gateway_pending_bodies',
        'Requests whose body is still arriving (MAX_PENDING_BODIES per client)',
        () => pendingBodies.current,
      ],
      [
        'gateway_tunnels_open',
        'Open WebSocket tunnels (MAX_TUNNELS bounds it)',
        () => tunnels.current,
      ],
    ];
    for (const [name, help, read] of gauges) {
      const gauge = metric(name, () => new Gauge({ name, help }));
      // A second module instance (tests) points the gauge at its own services.
      (gauge as Gauge & { collect: () => void }).collect = function (
        this: Gauge,
      ) {
        this.set(read());
      };
    }
    const requests = metric(
      'gateway_requests_total',
      () =>
        new Counter({
          name: 'gateway_requests_total',
          help: 'Proxied requests by the decision the gateway took',
          labelNames: ['decision'],
        }),
    );
    const latency = metric(
      'gateway_request_duration_seconds',
      () =>
        new Histogram({
          name: 'gateway_request_duration_seconds',
          help: 'Time from request arrival to response end, by decision',
          labelNames: ['decision'],
          buckets: [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
            10,
          ],
        }),
    );
    this.requests = {} as Children<Counter.Internal>;
    this.latency = {} as Children<Histogram.Internal<'decision'>>;
    for (const decision of GATEWAY_DECISIONS) {
      this.requests[decision] = requests.labels({ decision });
      this.latency[decision] = latency.labels({ decision });
    }
  }

  observe(decision: GatewayDecision, seconds: number): void {
    this.requests[decision].inc();
    this.latency[decision].observe(seconds);
  }
}
