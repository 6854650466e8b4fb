import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  AcceptAnyQuery,
  ApiJsonResponse,
  schemaRef,
} from '@gatehouse/shared/http';
import type { ServerResponse } from 'node:http';
import { setTimeout as wait } from 'node:timers/promises';
import { MockScenarioService } from './mock-scenario.service';

// B-2: simulated API endpoints; /api/work answers as the current scenario says.
@ApiTags('api')
@Controller('api')
// Simulated resources behind the gateway: any query the gateway forwards is fine.
@AcceptAnyQuery()
export class ApiController {
  constructor(private readonly scenario: MockScenarioService) {}

  @Get('work')
  @ApiOperation({
    summary: 'The next scripted answer, then the default (B-2)',
  })
  @ApiResponse({
    status: 'default',
    description: 'Whatever the scenario scripted: any status, a JSON body',
    content: { 'application/json': { schema: {} } },
  })
  async work(@Res() res: ServerResponse): Promise<void> {
    const answer = this.scenario.next();
    if (answer.delayMs > 0) await wait(answer.delayMs);
    if (res.destroyed) return;
    const body = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  @Get('*path')
  @ApiOperation({ summary: 'A simulated API resource (B-2)' })
  @ApiJsonResponse(200, 'The resource', schemaRef('ApiResource'))
  resource(@Param('path') path: string[]): {
    resource: string;
    items: { id: number }[];
  } {
    return {
      resource: `/api/${path.join('/')}`,
      items: [{ id: 1 }, { id: 2 }],
    };
  }
}
