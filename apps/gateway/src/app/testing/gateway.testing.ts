import { loadConfig } from '@gatehouse/shared/config';
import { createLogger, PinoLogger } from '@gatehouse/shared/logging';
import {
  CallHandler,
  DynamicModule,
  ExecutionContext,
  Global,
  Module,
  Provider,
} from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Test, TestingModule } from '@nestjs/testing';
import { mkdtempSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { of } from 'rxjs';
import { GatewayConfigModule } from '../gateway-config.module';
import {
  GATEWAY_CONFIG,
  GatewayConfig,
  gatewaySchema,
} from '../gateway.config';
import { ProxyController } from '../proxy/proxy.controller';
import { ProxyModule } from '../proxy/proxy.module';
import { RequestContext } from '../request/request-context';
import { StoreModule } from '../traffic/store.module';

// The gateway's configuration as the app would load it from these variables; upstream
// failures go to a fresh temporary file.
export function testConfig(env: Record<string, string> = {}): GatewayConfig {
  return loadConfig(gatewaySchema, {
    BACKEND_URL: 'http://127.0.0.1:1',
    UPSTREAM_ERROR_LOG: join(
      mkdtempSync(join(tmpdir(), 'gateway-spec-')),
      'upstream-errors.log',
    ),
    ...env,
  });
}

// A testing module with the given providers and GATEWAY_CONFIG, for one class and what it uses.
export function providersModule(
  providers: Provider[],
  env: Record<string, string> = {},
): Promise<TestingModule> {
  return Test.createTestingModule({
    providers: [
      ...providers,
      { provide: GATEWAY_CONFIG, useValue: testConfig(env) },
    ],
  }).compile();
}

// The app's logger, writing to one spec's destination. nestjs-pino's own module keeps its
// logger in a static field, so two testing modules in one process would share it.
@Global()
@Module({})
class TestLoggerModule {
  static writingTo(destination: Writable): DynamicModule {
    const logger = {
      setContext: () => undefined,
      logger: createLogger({ service: 'test', level: 'info', destination }),
    };
    return {
      module: TestLoggerModule,
      providers: [{ provide: PinoLogger, useValue: logger }],
      exports: [PinoLogger],
    };
  }
}

// The proxy feature wired as the app wires it (configuration, store, every guard and
// interceptor), its log lines written to `destination`. Call init() before handling requests.
export function proxyTestingModule(
  config: GatewayConfig,
  destination: Writable,
): Promise<TestingModule> {
  return Test.createTestingModule({
    imports: [
      GatewayConfigModule.of(config),
      TestLoggerModule.writingTo(destination),
      StoreModule,
      ProxyModule,
    ],
  }).compile();
}

// A proxied request as the pipeline hands it to a guard or interceptor: the context rides on
// the response, and the handler's arguments are (req, res).
export function proxiedContext(
  init: {
    method?: string;
    url?: string;
    headers?: Record<string, string>;
    client?: string;
  } = {},
): RequestContext {
  const headers = init.headers ?? {};
  const req = {
    method: init.method ?? 'GET',
    url: init.url ?? '/x',
    headers,
    rawHeaders: Object.entries(headers).flat(),
    socket: { bytesWritten: 0 },
  } as unknown as IncomingMessage;
  const res = {
    headersSent: false,
    destroyed: false,
    writableEnded: false,
    setHeader: jest.fn(),
    destroy: jest.fn(),
  } as unknown as ServerResponse;
  return new RequestContext(req, res, 'request-id', init.client ?? 'client', 0);
}

// The execution context Nest's consumers build for ProxyController.forward(req, res).
export function executionFor(context: RequestContext): ExecutionContext {
  const host = new ExecutionContextHost(
    [context.req, context.res],
    ProxyController,
    ProxyController.prototype.forward,
  );
  host.setType('http');
  return host;
}

// A CallHandler whose handler answers at once, counting its calls.
export function callHandler(): CallHandler & { handle: jest.Mock } {
  return { handle: jest.fn(() => of('handled')) };
}
