import {
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import axios, { AxiosInstance } from 'axios';
import { Agent } from 'node:http';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';

const RESOURCES = ['users', 'orders', 'items', 'products', 'invoices'];
const IDS_PER_RESOURCE = 50;

// The gateway's own address as a client reaches it.
function selfOrigin(config: GatewayConfig): string {
  const host =
    config.HOST === '0.0.0.0' || config.HOST === ''
      ? '127.0.0.1'
      : config.HOST === '::'
        ? '[::1]'
        : config.HOST.includes(':')
          ? `[${config.HOST}]`
          : config.HOST;
  return `http://${host}:${config.PORT}`;
}

export function randomApiPath(): string {
  const resource = RESOURCES[Math.floor(Math.random() * RESOURCES.length)];
  return `/api/${resource}/${1 + Math.floor(Math.random() * IDS_PER_RESOURCE)}`;
}

// G-10: POST /test/<n> drives n requests to random /api/* paths through the gateway
// itself, so they are inspected, forwarded, logged and counted like any other.
@Injectable()
export class LoadGenerator implements OnApplicationShutdown {
  private readonly logger = new Logger(LoadGenerator.name);
  private readonly http: AxiosInstance;
  private readonly agent: Agent;
  private pending = 0;
  private runs = 0;
  private stopped = false;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: config.LOAD_TEST_CONCURRENCY,
    });
    this.http = axios.create({
      baseURL: selfOrigin(config),
      httpAgent: this.agent,
      proxy: false,
      maxRedirects: 0,
      responseType: 'arraybuffer',
      validateStatus: () => true,
      timeout: config.UPSTREAM_TIMEOUT_MS + config.DUPLICATE_DELAY_MS + 1_000,
    });
  }

  get inProgress(): number {
    return this.pending;
  }

  // Accepts the run or refuses it with 429 when it would exceed the bound on generated requests.
  start(n: number): void {
    if (this.pending + n > this.config.LOAD_TEST_MAX) {
      throw new ProblemException({
        status: 429,
        title: 'Too Many Requests',
        type: 'load-test-busy',
        detail: `At most ${this.config.LOAD_TEST_MAX} generated requests may be pending; ${this.pending} are.`,
        headers: { 'retry-after': '1' },
      });
    }
    this.pending += n;
    void this.run(n, ++this.runs);
  }

  private async run(n: number, run: number): Promise<void> {
    const started = Date.now();
    const statuses: Record<string, number> = {};
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < n && !this.stopped) {
        // A unique header per request: generated traffic never looks like a replay (G-3).
        const id = `${run}-${next++}`;
        let outcome: string;
        try {
          const response = await this.http.get(randomApiPath(), {
            headers: { 'x-load-test': id },
          });
          outcome = String(response.status);
        } catch (error) {
          outcome = (error as { code?: string }).code ?? 'error';
        }
        statuses[outcome] = (statuses[outcome] ?? 0) + 1;
        this.pending--;
      }
    };
    const workers = Math.min(n, this.config.LOAD_TEST_CONCURRENCY);
    await Promise.all(Array.from({ length: workers }, worker));
    this.pending -= n - next;
    this.logger.log(
      { run, requests: n, statuses, ms: Date.now() - started },
      'load test finished',
    );
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.agent.destroy();
  }
}
