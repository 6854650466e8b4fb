import { All, Controller, Get, HttpCode } from '@nestjs/common';

export const DEFAULT_MESSAGE = 'Processed by the backend service!';

@Controller()
export class HealthController {
  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  ready(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

// B-1: every other method and path.
@Controller()
export class DefaultController {
  @All('{*path}')
  @HttpCode(200)
  answer(): { message: string } {
    return { message: DEFAULT_MESSAGE };
  }
}
