import { Controller, Get } from '@nestjs/common';
import { UpstreamProbe } from './upstream.probe';

// G-11: liveness says the process serves; readiness says it can do its job.
@Controller('health')
export class HealthController {
  constructor(private readonly upstream: UpstreamProbe) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<{ status: 'ok'; checks: Record<string, 'up'> }> {
    await this.upstream.check();
    return { status: 'ok', checks: { upstream: 'up' } };
  }
}
