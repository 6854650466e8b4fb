import { loadConfigOrExit } from '@gatehouse/shared/config';
import { bootstrap } from '@gatehouse/shared/http';
import { AppModule } from './app/app.module';
import { ingestConfigSchema } from './app/ingest.config';

// Small request bodies only: {"target": "..."} never needs more.
const MAX_BODY = '16kb';

const config = loadConfigOrExit('ingest', ingestConfigSchema);
void bootstrap(AppModule.forRoot(config), {
  service: 'ingest',
  port: config.PORT,
  host: config.HOST,
  bodyParser: false,
  configure: (app) => {
    app.useBodyParser('json', { limit: MAX_BODY, strict: true });
  },
});
