import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses, ProblemException } from '@gatehouse/shared/http';
import { ScanStoreConnection } from './scan-store.connection';

const PING_TIMEOUT_MS = 1_000;

// The shape of @nestjs/terminus's result, which clients of these endpoints already read.
export interface ScansReadiness {
  status: 'ok';
  info: { mongodb: { status: 'up' } };
  error: Record<string, never>;
  details: { mongodb: { status: 'up' } };
}

// S-12: liveness is the process answering; readiness also needs a MongoDB ping.
// S-3: while the store is down, readiness is 503 problem+json and says why.
@ApiTags('health')
@Controller('health')
export class ScansHealthController {
  constructor(private readonly store: ScanStoreConnection) {}

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
    description: 'The store answers',
    schema: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string' } },
      additionalProperties: true,
    },
  })
  @ApiProblemResponses(503)
  async ready(): Promise<ScansReadiness> {
    try {
      await this.store.ping(PING_TIMEOUT_MS);
      const mongodb = { status: 'up' } as const;
      return {
        status: 'ok',
        info: { mongodb },
        error: {},
        details: { mongodb },
      };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ProblemException({
        status: 503,
        title: 'Service Unavailable',
        type: 'not-ready',
        detail: `Not ready: mongodb unavailable (${reason}).`,
        extensions: { checks: { mongodb: 'down' } },
        headers: { 'retry-after': '2' },
      });
    }
  }
}
