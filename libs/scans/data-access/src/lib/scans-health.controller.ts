import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  MongooseHealthIndicator,
} from '@nestjs/terminus';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '@gatehouse/shared/http';

// S-12: liveness is the process answering; readiness also needs a MongoDB ping.
@ApiTags('health')
@Controller('health')
export class ScansHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mongo: MongooseHealthIndicator,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
    },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: MongoDB answers a ping (S-12)' })
  @ApiOkResponse({
    description: 'Terminus health check result',
    schema: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string' } },
      additionalProperties: true,
    },
  })
  @ApiProblemResponses(503)
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.mongo.pingCheck('mongodb', { timeout: 1_000 }),
    ]);
  }
}
