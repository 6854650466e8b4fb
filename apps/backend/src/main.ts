import { bootstrap } from '@gatehouse/shared/http';
import { AppModule } from './app/app.module';
import { BACKEND_SCHEMAS } from './app/backend.openapi';
import { loadBackendConfig } from './app/backend.config';

async function main(): Promise<void> {
  const config = loadBackendConfig();
  // Bodies are read raw by the handlers that need them.
  await bootstrap(AppModule.forRoot(config), {
    service: 'backend',
    port: config.PORT,
    host: config.HOST,
    bodyParser: false,
    openApi: {
      title: 'Gatehouse backend',
      description:
        'The reference backend behind the gateway, and a scriptable upstream.',
      schemas: BACKEND_SCHEMAS,
    },
  });
}

void main();
