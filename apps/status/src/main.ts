import { appConfigModule, withConfig } from '@gatehouse/shared/config';
import { bootstrap } from '@gatehouse/shared/http';
import { AppModule } from './app/app.module';
import { STATUS_SCHEMAS } from './app/scans.openapi';
import { statusConfigSchema } from './app/status.config';

async function main(): Promise<void> {
  const configModule = await appConfigModule('status', statusConfigSchema);
  const { config } = configModule;
  await bootstrap(withConfig(AppModule.forRoot(config), configModule), {
    service: 'status',
    port: config.PORT,
    host: config.HOST,
    // A read-only API: no request bodies are parsed at all.
    bodyParser: false,
    openApi: {
      title: 'Gatehouse status',
      description: 'Reads scans: one scan, its attempts, lists and a summary.',
      schemas: STATUS_SCHEMAS,
    },
  });
}

void main();
