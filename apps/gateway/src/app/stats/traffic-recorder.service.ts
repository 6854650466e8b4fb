import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnModuleInit,
} from '@nestjs/common';
import { GatewayMetrics } from './gateway.metrics';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import type { RequestContext } from '../request/request-context';
import {
  DecisionCounts,
  emptyDecisionCounts,
  GATEWAY_STORE,
  GatewayStore,
} from '../traffic/gateway.store';

// Longer paths are counted by their first characters, so one request cannot plant a huge member.
const MAX_PATH_LENGTH = 1024;
// A flood of distinct paths between two flushes triggers an early flush instead of growing.
const MAX_PENDING_PATHS = 50_000;

// G-10/G-11: the one place a request's outcome is counted. Metrics are updated at
// once; counters and per-path statistics are batched and written every
// STATS_FLUSH_MS, off the request path, so no request waits for the store.
@Injectable()
export class TrafficRecorder
  implements OnModuleInit, BeforeApplicationShutdown
{
  private decisions = emptyDecisionCounts();
  private paths = new Map<string, number>();
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(GATEWAY_STORE) private readonly store: GatewayStore,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly metrics: GatewayMetrics,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(
      () => void this.flush(),
      this.config.STATS_FLUSH_MS,
    );
    this.timer.unref();
  }

  record(context: RequestContext): void {
    const decision = context.decision;
    this.metrics.observe(decision, context.latencyMs / 1000);
    this.decisions[decision]++;
    this.pending++;
    const path =
      context.path.length <= MAX_PATH_LENGTH
        ? context.path
        : context.path.slice(0, MAX_PATH_LENGTH);
    this.paths.set(path, (this.paths.get(path) ?? 0) + 1);
    if (this.paths.size >= MAX_PENDING_PATHS) void this.flush();
  }

  // Writes what has accumulated; a failed write is dropped (fail open), and the store logs the outage.
  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const decisions: DecisionCounts = this.decisions;
    const paths = this.paths;
    this.decisions = emptyDecisionCounts();
    this.paths = new Map();
    this.pending = 0;
    try {
      await this.store.addTraffic(decisions, paths);
    } catch {
      // Counting must never fail a request or the process.
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
