import { Module } from '@nestjs/common';
import { MaliciousPayloadInspector } from './malicious-payload.inspector';

// G-2: what a body may carry.
@Module({
  providers: [MaliciousPayloadInspector],
  exports: [MaliciousPayloadInspector],
})
export class InspectionModule {}
