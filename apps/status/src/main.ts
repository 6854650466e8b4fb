import { Module, Type } from '@nestjs/common';
import { loadConfigOrExit } from '@gatehouse/shared/config';
import { bootstrap } from '@gatehouse/shared/http';
import { AppModule } from './app/app.module';
import { StatusConfig, statusConfigSchema } from './app/status.config';

function rootModule(config: StatusConfig): Type<unknown> {
  @Module({ imports: [AppModule.forRoot(config)] })
  class StatusRootModule {}
  return StatusRootModule;
}

const config = loadConfigOrExit('status', statusConfigSchema);
bootstrap(rootModule(config), {
  port: config.PORT,
  host: config.HOST,
  // A read-only API: no request bodies are parsed at all.
  bodyParser: false,
}).catch((error: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', service: 'status', msg: `start-up failed: ${String(error)}` })}\n`,
  );
  process.exit(1);
});
