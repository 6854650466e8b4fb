import {
  Controller,
  Get,
  Inject,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiJsonResponse,
  ApiProblemResponses,
  ProblemException,
  schemaRef,
} from '@gatehouse/shared/http';
import { GATEWAY_STORE, GatewayStore } from '../traffic/gateway.store';
import { UpstreamProbe } from './upstream.probe';

type CheckState = 'up' | 'down';

export interface Readiness {
  status: 'ok';
  checks: Record<string, CheckState>;
}

function states(result: HealthCheckResult): Record<string, CheckState> {
  const checks: Record<string, CheckState> = {};
  for (const [name, detail] of Object.entries(result.details))
    checks[name] = detail.status === 'up' ? 'up' : 'down';
  return checks;
}

// G-11: liveness says the process serves; readiness says it can do its job: the
// upstream answers and, when replicas share state, Redis does too.
@ApiTags('admin')
@Controller('health')
export class HealthController {
  private readonly checks: HealthIndicatorFunction[];

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly upstream: UpstreamProbe,
    @Inject(GATEWAY_STORE) private readonly store: GatewayStore,
  ) {
    this.checks = [() => this.upstreamCheck()];
    if (store.kind === 'redis') this.checks.push(() => this.storeCheck());
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness (G-11)' })
  @ApiJsonResponse(200, 'The process serves', schemaRef('Liveness'))
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: upstream and Redis (G-11)' })
  @ApiJsonResponse(200, 'Every check is up', schemaRef('Readiness'))
  @ApiProblemResponses(503)
  async ready(): Promise<Readiness> {
    try {
      const result = await this.health.check(this.checks);
      return { status: 'ok', checks: states(result) };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const checks = states(error.getResponse() as HealthCheckResult);
      const down = Object.keys(checks).filter((name) => checks[name] !== 'up');
      throw new ProblemException({
        status: 503,
        title: 'Service Unavailable',
        type: 'not-ready',
        detail: `Not ready: ${down.join(', ')} unavailable.`,
        extensions: { checks },
      });
    }
  }

  private async upstreamCheck(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('upstream');
    try {
      await this.upstream.check();
      return session.up();
    } catch {
      return session.down();
    }
  }

  private async storeCheck(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(this.store.kind);
    try {
      await this.store.ping();
      return session.up();
    } catch {
      return session.down();
    }
  }
}
