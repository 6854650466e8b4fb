import { appConfigModule, withConfig } from '@gatehouse/shared/config';
import { bootstrap } from '@gatehouse/shared/http';
import { join } from 'node:path';
import { AppModule } from './app/app.module';
import { CONSOLE_SCHEMAS } from './app/console.openapi';
import { consoleConfigSchema } from './app/console.config';
import { securityHeaders } from './app/security-headers.middleware';

async function main(): Promise<void> {
  const configModule = await appConfigModule('console', consoleConfigSchema);
  const { config } = configModule;
  await bootstrap(withConfig(AppModule.forRoot(config), configModule), {
    service: 'console',
    port: config.PORT,
    host: config.HOST,
    bodyParser: false,
    configure: (app) => {
      // First, so that every answer carries them, body-parser errors included.
      app.use(securityHeaders());
      app.useBodyParser('json', { limit: '16kb', strict: true });
      // The page: index.html from the assets, and the bundled script under /page/.
      app.useStaticAssets(join(__dirname, 'page'), {
        prefix: '/page/',
        maxAge: 0,
      });
      app.useStaticAssets(join(__dirname, 'assets'), {
        index: 'index.html',
        maxAge: 0,
      });
    },
    openApi: {
      title: 'Gatehouse console API',
      description:
        'The operator console reads the gateway, ingest and status server-side; scans are queued through ingest.',
      schemas: CONSOLE_SCHEMAS,
    },
  });
}

void main();
