import { Injectable } from '@nestjs/common';
import {
  GATEWAY_DECISIONS,
  GatewayDecision,
} from '@gatehouse/shared/contracts';
import { Counter, Gauge, Histogram, register } from 'prom-client';
import { WebSocketTunnels } from '../websocket/websocket-tunnel.service';
import { InFlightLimit } from '../traffic/in-flight.limit';
import { PendingBodyLimit } from '../traffic/pending-body.limit';

const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

// One decision's requests and latencies, counted in plain numbers.
class DecisionTally {
  count = 0;
  sum = 0;
  // Observations per bucket (not cumulative); past the last bound only `count` grows.
  readonly buckets = new Array<number>(LATENCY_BUCKETS.length).fill(0);

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++)
      if (seconds <= LATENCY_BUCKETS[i]) {
        this.buckets[i]++;
        return;
      }
  }
}

// The histogram's per-label-set state as prom-client keeps it between scrapes.
interface HistogramEntry {
  labels: { decision: GatewayDecision };
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

function metric<T>(name: string, create: () => T): T {
  // One registry per process: a second module instance (tests) reuses the metric.
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

// G-11: Prometheus request counters by decision and latency histograms. A request is counted
// into plain numbers per decision; prom-client reads them at scrape time (`collect`), so an
// observation pays no label hashing and the exposition is the one prom-client writes.
@Injectable()
export class GatewayMetrics {
  private readonly tallies = {} as Record<GatewayDecision, DecisionTally>;

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
    for (const decision of GATEWAY_DECISIONS)
      this.tallies[decision] = new DecisionTally();
    const tallies = this.tallies;
    const requests = metric(
      'gateway_requests_total',
      () =>
        new Counter({
          name: 'gateway_requests_total',
          help: 'Proxied requests by the decision the gateway took',
          labelNames: ['decision'],
        }),
    );
    (requests as Counter & { collect: () => void }).collect = function (
      this: Counter,
    ) {
      this.reset();
      for (const decision of GATEWAY_DECISIONS) {
        const count = tallies[decision].count;
        if (count > 0) this.inc({ decision }, count);
      }
    };
    const latency = metric(
      'gateway_request_duration_seconds',
      () =>
        new Histogram({
          name: 'gateway_request_duration_seconds',
          help: 'Time from request arrival to response end, by decision',
          labelNames: ['decision'],
          buckets: LATENCY_BUCKETS,
        }),
    );
    // prom-client has no call that adds a whole tally to a histogram, so its per-label-set
    // entries are written in the shape its own observe() leaves them (the spec compares the
    // exposition with one that prom-client observed itself).
    (
      latency as Histogram & {
        collect: () => void;
        hashMap: Record<string, HistogramEntry>;
      }
    ).collect = function (
      this: Histogram & { hashMap: Record<string, HistogramEntry> },
    ) {
      const entries: Record<string, HistogramEntry> = {};
      for (const decision of GATEWAY_DECISIONS) {
        const tally = tallies[decision];
        if (tally.count === 0) continue;
        const bucketValues: Record<number, number> = {};
        LATENCY_BUCKETS.forEach(
          (bound, i) => (bucketValues[bound] = tally.buckets[i]),
        );
        entries[`decision:${decision}`] = {
          labels: { decision },
          bucketValues,
          sum: tally.sum,
          count: tally.count,
        };
      }
      this.hashMap = entries;
    };
  }

  observe(decision: GatewayDecision, seconds: number): void {
    this.tallies[decision].observe(seconds);
  }
}
