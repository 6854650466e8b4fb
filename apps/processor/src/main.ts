import { Module, Type } from '@nestjs/common';
import { loadConfigOrExit } from '@gatehouse/shared/config';
import { bootstrap } from '@gatehouse/shared/http';
import { AppModule } from './app/app.module';
import {
  ProcessorConfig,
  processorConfigProblem,
  processorConfigSchema,
} from './app/processor.config';

function fatal(fields: Record<string, unknown>): never {
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', time: Date.now(), service: 'processor', ...fields })}\n`,
  );
  process.exit(1);
}

function rootModule(config: ProcessorConfig): Type<unknown> {
  @Module({ imports: [AppModule.forRoot(config)] })
  class ProcessorRootModule {}
  return ProcessorRootModule;
}

const config = loadConfigOrExit('processor', processorConfigSchema);
const problem = processorConfigProblem(config);
if (problem)
  fatal({
    variable: problem.variable,
    msg: `invalid configuration: ${problem.variable} ${problem.reason}`,
  });

bootstrap(rootModule(config), {
  port: config.PORT,
  host: config.HOST,
  // Health and metrics only: no request bodies.
  bodyParser: false,
  // The worker drains within SHUTDOWN_GRACE_MS; this is only the backstop if it cannot.
  shutdownGraceMs: config.SHUTDOWN_GRACE_MS + 5_000,
}).catch((error: unknown) =>
  fatal({ msg: `start-up failed: ${String(error)}` }),
);
