import { Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiJsonResponse,
  ApiProblemResponses,
  ProblemException,
  schemaRef,
} from '@gatehouse/shared/http';
import { MockScenarioService, ScriptedAnswer } from './mock-scenario.service';
import { rawBody } from './raw-body';

const MAX_STEPS = 10_000;

export function parseScenario(text: string): ScriptedAnswer[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw ProblemException.badRequest(
      'invalid-scenario',
      'The scenario is not valid JSON.',
    );
  }
  if (!Array.isArray(parsed) || parsed.length > MAX_STEPS)
    throw ProblemException.badRequest(
      'invalid-scenario',
      `The scenario must be an array of at most ${MAX_STEPS} [body, status, delayMs] steps.`,
    );
  return parsed.map((step: unknown, index) => {
    if (!Array.isArray(step) || step.length !== 3)
      throw ProblemException.badRequest(
        'invalid-scenario',
        `Step ${index} must be [body, status, delayMs].`,
      );
    const [body, status, delayMs] = step as [unknown, unknown, unknown];
    if (
      !Number.isInteger(status) ||
      (status as number) < 100 ||
      (status as number) > 599
    )
      throw ProblemException.badRequest(
        'invalid-scenario',
        `Step ${index}: status must be an integer in 100..599.`,
      );
    if (
      !Number.isInteger(delayMs) ||
      (delayMs as number) < 0 ||
      (delayMs as number) > 600_000
    )
      throw ProblemException.badRequest(
        'invalid-scenario',
        `Step ${index}: delayMs must be an integer in 0..600000.`,
      );
    return { body, status: status as number, delayMs: delayMs as number };
  });
}

@ApiTags('mock')
@Controller('_mock')
export class MockController {
  constructor(private readonly scenario: MockScenarioService) {}

  @Post('scenario')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Script /api/work: [[body, status, delayMs], ...] (B-2)',
  })
  @ApiBody({
    schema: {
      type: 'array',
      items: { type: 'array', minItems: 3, maxItems: 3 },
    },
  })
  @ApiJsonResponse(200, 'The scenario was replaced', schemaRef('ScenarioSteps'))
  @ApiProblemResponses(400, 413)
  async replace(@Req() req: IncomingMessage): Promise<{ steps: number }> {
    const script = parseScenario(
      (await rawBody(req, 1024 * 1024)).toString('utf8'),
    );
    this.scenario.replace(script);
    return { steps: script.length };
  }

  @Get('requests')
  @ApiOperation({ summary: 'Arrival timestamps since the last scenario (B-2)' })
  @ApiJsonResponse(200, 'Timestamps in ms', schemaRef('MockRequests'))
  requests(): { timestamps: number[] } {
    return { timestamps: this.scenario.requests() };
  }
}
