import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiJsonResponse,
  ApiProblemResponses,
  schemaRef,
} from '@gatehouse/shared/http';
import type { GatewayStatus } from '@gatehouse/shared/contracts';
import { TrafficRecorder } from '../stats/traffic-recorder.service';
import { GATEWAY_STORE, GatewayStore } from '../traffic/gateway.store';
import { storeUnavailable } from '../traffic/store-unavailable.problem';

// G-11: uptime of this replica, and request counts of every replica sharing the store.
@ApiTags('admin')
@Controller('status')
export class StatusController {
  constructor(
    @Inject(GATEWAY_STORE) private readonly store: GatewayStore,
    private readonly recorder: TrafficRecorder,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Uptime and request counts by decision (G-11)' })
  @ApiJsonResponse(200, 'Gateway status', schemaRef('GatewayStatus'))
  @ApiProblemResponses(503)
  async status(): Promise<GatewayStatus> {
    await this.recorder.flush();
    let counts;
    try {
      counts = await this.store.decisionCounts();
    } catch {
      throw storeUnavailable();
    }
    const processed =
      counts.forwarded +
      counts.blocked +
      counts.delayed +
      counts.rejected +
      counts.failed;
    return {
      uptimeSeconds: Math.floor(process.uptime()),
      store: this.store.kind,
      requests: { processed, ...counts },
    };
  }
}
