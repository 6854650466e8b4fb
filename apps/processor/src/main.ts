import { appConfigModule, withConfig } from '@gatehouse/shared/config';
import { bootstrap } from '@gatehouse/shared/http';
import { AppModule } from './app/app.module';
import {
  processorConfigCheck,
  processorConfigSchema,
} from './app/processor.config';

async function main(): Promise<void> {
  const configModule = await appConfigModule(
    'processor',
    processorConfigSchema,
    processorConfigCheck,
  );
  const { config } = configModule;
  await bootstrap(withConfig(AppModule.forRoot(config), configModule), {
    service: 'processor',
    port: config.PORT,
    host: config.HOST,
    // Health and metrics only: no request bodies.
    bodyParser: false,
    // The worker drains within SHUTDOWN_GRACE_MS; this is only the backstop if it cannot.
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS + 5_000,
    openApi: {
      title: 'Gatehouse processor',
      description: 'Scan workers: health and metrics only.',
    },
  });
}

void main();
