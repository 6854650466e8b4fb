import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiJsonResponse, schemaRef } from '@gatehouse/shared/http';

// The console itself is up; the apps it reads are reported by /api/apps.
@ApiTags('health')
@Controller('health')
export class HealthController {
  @Get('live')
  @ApiOperation({ summary: 'Liveness' })
  @ApiJsonResponse(200, 'The process serves', schemaRef('Liveness'))
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
