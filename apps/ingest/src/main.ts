import { Module, Type } from '@nestjs/common';
import { loadConfigOrExit } from '@gatehouse/shared/config';
import { bootstrap } from '@gatehouse/shared/http';
import { AppModule } from './app/app.module';
import { IngestConfig, ingestConfigSchema } from './app/ingest.config';

// Small request bodies only: {"target": "..."} never needs more.
const MAX_BODY = '16kb';

function rootModule(config: IngestConfig): Type<unknown> {
  @Module({ imports: [AppModule.forRoot(config)] })
  class IngestRootModule {}
  return IngestRootModule;
}

const config = loadConfigOrExit('ingest', ingestConfigSchema);
bootstrap(rootModule(config), {
  port: config.PORT,
  host: config.HOST,
  bodyParser: false,
  configure: (app) => {
    app.useBodyParser('json', { limit: MAX_BODY, strict: true });
  },
}).catch((error: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', service: 'ingest', msg: `start-up failed: ${String(error)}` })}\n`,
  );
  process.exit(1);
});
