import { Injectable } from '@nestjs/common';
import {
  GATEWAY_DECISIONS,
  GatewayDecision,
} from '@gatehouse/shared/contracts';
import { Counter, Histogram, register } from 'prom-client';

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

  constructor() {
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
