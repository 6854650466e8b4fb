import { appConfigModule, withConfig } from '@gatehouse/shared/config';
import { bootstrap } from '@gatehouse/shared/http';
import { AppModule } from './app/app.module';
import { BACKEND_SCHEMAS } from './app/backend.openapi';
import { backendSchema, checkBackendConfig } from './app/backend.config';

async function main(): Promise<void> {
  const configModule = await appConfigModule(
    'backend',
    backendSchema,
    checkBackendConfig,
  );
  const { config } = configModule;
  // Bodies are read raw by the handlers that need them.
  await bootstrap(withConfig(AppModule.forRoot(config), configModule), {
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
