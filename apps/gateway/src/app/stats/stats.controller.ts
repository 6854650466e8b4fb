import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Req,
} from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  ApiJsonResponse,
  ApiProblemResponses,
  ProblemException,
  schemaRef,
} from '@gatehouse/shared/http';
import type { IncomingMessage } from 'node:http';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import type { PathPage } from '@gatehouse/shared/contracts';
import { GATEWAY_STORE, GatewayStore } from '../traffic/gateway.store';
import { LoadGenerator } from './load-generator.service';
import { storeUnavailable } from '../traffic/store-unavailable.problem';
import { parseStatsQuery } from './stats-query';
import { TrafficRecorder } from './traffic-recorder.service';

// G-10: request statistics by URL path, and a load generator to fill them.
@ApiTags('admin')
@Controller()
export class StatsController {
  constructor(
    @Inject(GATEWAY_STORE) private readonly store: GatewayStore,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly recorder: TrafficRecorder,
    private readonly load: LoadGenerator,
  ) {}

  @Get('stats')
  @ApiOperation({ summary: 'Request counts by path, most first (G-10)' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  @ApiJsonResponse(200, 'One page of paths', schemaRef('PathPage'))
  @ApiProblemResponses(400, 503)
  async stats(@Req() req: IncomingMessage): Promise<PathPage> {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const { limit, offset } = parseStatsQuery(
      query === -1 ? '' : url.slice(query + 1),
    );
    // This replica's batch is written first, so its own traffic is always visible.
    await this.recorder.flush();
    try {
      return await this.store.topPaths(offset, limit);
    } catch {
      throw storeUnavailable();
    }
  }

  @Post('test/:n')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Send n requests to random /api/* paths through the gateway (G-10)',
  })
  @ApiParam({ name: 'n', type: Number })
  @ApiJsonResponse(202, 'The load run started', schemaRef('LoadAccepted'))
  @ApiProblemResponses(400)
  generate(@Param('n') raw: string): { accepted: number } {
    const max = this.config.LOAD_TEST_MAX;
    const n = /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : NaN;
    if (!(n <= max)) {
      throw ProblemException.badRequest(
        'invalid-request-count',
        `The request count must be an integer in 1..${max}.`,
      );
    }
    this.load.start(n);
    return { accepted: n };
  }
}
