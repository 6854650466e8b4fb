import { Module } from '@nestjs/common';
import { UpstreamModule } from '../request/upstream.module';
import { HedgedRouteHandler } from './hedged-route.handler';

// G-7: hedged calls to the backend.
@Module({
  imports: [UpstreamModule],
  providers: [HedgedRouteHandler],
  exports: [HedgedRouteHandler],
})
export class HedgingModule {}
