import { Module } from '@nestjs/common';
import { MetricsController } from '@gatehouse/shared/http';
import { UpstreamModule } from '../request/upstream.module';
import { TrafficModule } from '../traffic/traffic.module';
import { GatewayMetrics } from './gateway.metrics';
import { LoadGenerator } from './load-generator.service';
import { StatsController } from './stats.controller';
import { TrafficRecorder } from './traffic-recorder.service';

// G-10, G-11: traffic statistics, Prometheus metrics and the load generator.
@Module({
  imports: [TrafficModule, UpstreamModule],
  controllers: [MetricsController, StatsController],
  providers: [GatewayMetrics, LoadGenerator, TrafficRecorder],
  exports: [TrafficRecorder],
})
export class StatsModule {}
