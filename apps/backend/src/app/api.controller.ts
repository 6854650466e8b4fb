import { Controller, Get, Param, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { setTimeout as wait } from 'node:timers/promises';
import { MockScenarioService } from './mock-scenario.service';

// B-2: simulated API endpoints; /api/work answers as the current scenario says.
@Controller('api')
export class ApiController {
  constructor(private readonly scenario: MockScenarioService) {}

  @Get('work')
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
