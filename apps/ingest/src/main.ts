import {
  CREATE_SCAN_REQUEST_SCHEMA,
  SCAN_ACCEPTED_SCHEMA,
} from '@gatehouse/shared/contracts';
import { appConfigModule, withConfig } from '@gatehouse/shared/config';
import { bootstrap } from '@gatehouse/shared/http';
import { AppModule } from './app/app.module';
import { ingestConfigSchema } from './app/ingest.config';

// Small request bodies only: {"target": "...", "kind": "..."} never needs more.
const MAX_BODY = '16kb';

async function main(): Promise<void> {
  const configModule = await appConfigModule('ingest', ingestConfigSchema);
  const { config } = configModule;
  await bootstrap(withConfig(AppModule.forRoot(config), configModule), {
    service: 'ingest',
    port: config.PORT,
    host: config.HOST,
    bodyParser: false,
    configure: (app) => {
      app.useBodyParser('json', { limit: MAX_BODY, strict: true });
      // S-1: HTML forms and clients such as requests.post(url, data=...) send the same fields.
      app.useBodyParser('urlencoded', {
        limit: MAX_BODY,
        extended: false,
        parameterLimit: 10,
      });
    },
    openApi: {
      title: 'Gatehouse ingest',
      description: 'Accepts scan requests and stores them as Accepted jobs.',
      schemas: {
        CreateScanRequest: CREATE_SCAN_REQUEST_SCHEMA,
        ScanAccepted: SCAN_ACCEPTED_SCHEMA,
      },
    },
  });
}

void main();
