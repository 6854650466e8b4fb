import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { UpstreamModule } from '../request/upstream.module';
import { StatsModule } from '../stats/stats.module';
import { HealthController } from './health.controller';
import { StatusController } from './status.controller';
import { UpstreamProbe } from './upstream.probe';

// The gateway's own health and status routes (O-2).
@Module({
  imports: [
    // Readiness answers with problem+json naming the failed checks, so terminus need not log them.
    TerminusModule.forRoot({ logger: false }),
    StatsModule,
    UpstreamModule,
  ],
  controllers: [HealthController, StatusController],
  providers: [UpstreamProbe],
})
export class AdminModule {}
