import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { configProvider } from '@gatehouse/shared/config';
import { GATEWAY_CONFIG, GatewayConfig, gatewaySchema } from './gateway.config';

// The validated configuration under GATEWAY_CONFIG, for every feature module.
@Global()
@Module({})
export class GatewayConfigModule {
  // In the app: read from @nestjs/config's ConfigService, which validated it at boot.
  static fromConfigService(): DynamicModule {
    return GatewayConfigModule.with(
      configProvider(GATEWAY_CONFIG, gatewaySchema),
    );
  }

  // In specs: the values given.
  static of(config: GatewayConfig): DynamicModule {
    return GatewayConfigModule.with({
      provide: GATEWAY_CONFIG,
      useValue: config,
    });
  }

  private static with(provider: Provider): DynamicModule {
    return {
      module: GatewayConfigModule,
      providers: [provider],
      exports: [GATEWAY_CONFIG],
    };
  }
}
