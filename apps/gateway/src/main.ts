import { appConfigModule, withConfig } from '@gatehouse/shared/config';
import { bootstrap } from '@gatehouse/shared/http';
import type { Server } from 'node:http';
import { GATEWAY_ADMIN_SCHEMAS } from './app/admin/admin.openapi';
import { AppModule } from './app/app.module';
import { checkGatewayConfig, gatewaySchema } from './app/gateway.config';
import { attachProxy } from './app/proxy/proxy-server';
import { ProxyPipeline } from './app/proxy/proxy.pipeline';
import { RequestLogService } from './app/proxy/request-log.service';

async function main(): Promise<void> {
  const configModule = await appConfigModule(
    'gateway',
    gatewaySchema,
    checkGatewayConfig,
  );
  const { config } = configModule;
  const prefix = config.ADMIN_PREFIX;
  await bootstrap(withConfig(AppModule.forRoot(config), configModule), {
    service: 'gateway',
    port: config.PORT,
    host: config.HOST,
    // Bodies are streamed to the upstream untouched, so no parser may consume them.
    bodyParser: false,
    configure: (app) => {
      app.setGlobalPrefix(prefix, { exclude: ['metrics'] });
      const ownRoute = (path: string) =>
        path === prefix || path.startsWith(`${prefix}/`) || path === '/metrics';
      attachProxy(app.getHttpServer() as Server, {
        pipeline: app.get(ProxyPipeline),
        requestLog: app.get(RequestLogService),
        ownRoutes: ownRoute,
        maxHeaderFields: config.MAX_HEADER_FIELDS,
      });
    },
    // O-2: served under the admin prefix (/_gateway/openapi.json, /_gateway/docs), never forwarded.
    openApi: {
      title: 'Gatehouse gateway admin API',
      description:
        "The gateway's own routes. Every other path is proxied to the backend.",
      schemas: GATEWAY_ADMIN_SCHEMAS,
    },
  });
}

void main();
