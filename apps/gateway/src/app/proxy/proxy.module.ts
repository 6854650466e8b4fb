import { Module } from '@nestjs/common';
import { HedgingModule } from '../hedging/hedging.module';
import { InspectionModule } from '../inspection/inspection.module';
import { UpstreamModule } from '../request/upstream.module';
import { StatsModule } from '../stats/stats.module';
import { TrafficModule } from '../traffic/traffic.module';
import { ProxyController } from './proxy.controller';
import { ProxyPipeline } from './proxy.pipeline';
import { RequestLogService } from './request-log.service';
import { UpstreamErrorLog } from './upstream-error.log';

// Proxied traffic: ProxyController's guards and interceptors come from the feature modules.
@Module({
  imports: [
    HedgingModule,
    InspectionModule,
    StatsModule,
    TrafficModule,
    UpstreamModule,
  ],
  providers: [
    ProxyController,
    ProxyPipeline,
    RequestLogService,
    UpstreamErrorLog,
  ],
  exports: [ProxyPipeline, RequestLogService],
})
export class ProxyModule {}
