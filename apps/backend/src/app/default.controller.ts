import { All, Controller, Get, HttpCode } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AcceptAnyQuery,
  ApiJsonResponse,
  ApiProblemResponses,
  schemaRef,
} from '@gatehouse/shared/http';

export const DEFAULT_MESSAGE = 'Processed by the backend service!';

@ApiTags('health')
@Controller()
export class HealthController {
  @Get('health/live')
  @ApiOperation({ summary: 'Liveness' })
  @ApiJsonResponse(200, 'The process serves', schemaRef('Liveness'))
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @ApiOperation({ summary: 'Readiness' })
  @ApiJsonResponse(200, 'Ready', schemaRef('Liveness'))
  ready(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

// B-1: every other method and path. A stand-in upstream takes whatever query it is forwarded.
@ApiTags('default')
@Controller()
@AcceptAnyQuery()
export class DefaultController {
  @All('{*path}')
  @HttpCode(200)
  @ApiOperation({ summary: 'Any other method and path (B-1)' })
  @ApiJsonResponse(200, 'The default message', schemaRef('DefaultMessage'))
  @ApiProblemResponses(401)
  answer(): { message: string } {
    return { message: DEFAULT_MESSAGE };
  }
}
