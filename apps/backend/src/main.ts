import { bootstrap } from '@gatehouse/shared/http';
import { AppModule } from './app/app.module';
import { loadBackendConfig } from './app/backend.config';

async function main(): Promise<void> {
  const config = loadBackendConfig();
  // Bodies are read raw by the handlers that need them.
  await bootstrap(AppModule.forRoot(config), {
    service: 'backend',
    port: config.PORT,
    host: config.HOST,
    bodyParser: false,
  });
}

void main();
