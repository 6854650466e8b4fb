import { Inject, Injectable } from '@nestjs/common';
import type { GatewayStatus } from '@gatehouse/shared/contracts';
import { histogramQuantile, Histogram } from '../shared/histogram-quantile';
import { AppClient } from './app-client.service';
import { CONSOLE_CONFIG, ConsoleConfig } from './console.config';
import { parsePrometheusText, sumHistogram } from './prometheus-text';

export interface GatewayOverview {
  uptimeSeconds: number;
  store: GatewayStatus['store'];
  requests: GatewayStatus['requests'];
  readiness: { ready: boolean; checks: Record<string, string> };
  latency: {
    histogram: Histogram;
    p50Ms: number | null;
    p99Ms: number | null;
  } | null;
}

const LATENCY_METRIC = 'gateway_request_duration_seconds';

function toMs(seconds: number | null): number | null {
  return seconds === null ? null : Math.round(seconds * 100_000) / 100;
}

// O-1: the gateway's status, readiness and latency (from /metrics) in one answer.
@Injectable()
export class GatewayOverviewService {
  constructor(
    private readonly apps: AppClient,
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
  ) {}

  get prefix(): string {
    return this.config.GATEWAY_ADMIN_PREFIX;
  }

  async overview(): Promise<GatewayOverview> {
    const prefix = this.prefix;
    const [status, ready, metrics] = await Promise.all([
      this.apps.json<GatewayStatus>('gateway', `${prefix}/status`),
      this.apps.call('gateway', `${prefix}/health/ready`),
      this.apps.call('gateway', '/metrics'),
    ]);
    return {
      uptimeSeconds: status.uptimeSeconds,
      store: status.store,
      requests: status.requests,
      readiness: readiness(ready.status, ready.text),
      latency: metrics.status === 200 ? latency(metrics.text) : null,
    };
  }
}

function readiness(status: number, text: string): GatewayOverview['readiness'] {
  let checks: Record<string, string> = {};
  try {
    const body = JSON.parse(text) as { checks?: Record<string, string> };
    checks = body.checks ?? {};
  } catch {
    // No details: readiness alone.
  }
  return { ready: status === 200, checks };
}

function latency(text: string): GatewayOverview['latency'] {
  const histogram = sumHistogram(parsePrometheusText(text), LATENCY_METRIC);
  if (histogram.buckets.length === 0) return null;
  return {
    histogram,
    p50Ms: toMs(histogramQuantile(0.5, histogram)),
    p99Ms: toMs(histogramQuantile(0.99, histogram)),
  };
}
