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
  openApi: {
    title: 'Gatehouse ingest',
    description: 'Accepts scan requests and stores them as Accepted jobs.',
    schemas: {
      CreateScanRequest: {
        type: 'object',
        additionalProperties: false,
        properties: {
          target: {
            type: 'string',
            minLength: 1,
            maxLength: 2048,
            description: 'A hostname, an IP or an http(s) URL',
          },
        },
      },
      ScanAccepted: {
        type: 'object',
        required: ['scanId', 'status'],
        properties: {
          scanId: { type: 'string', format: 'uuid' },
          status: { type: 'string', enum: ['Accepted'] },
        },
      },
    },
  },
});
