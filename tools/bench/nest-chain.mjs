// The per-call cost of Nest's guard and interceptor consumers, the way the gateway runs them:
// one handler called through ExternalContextCreator with the gateway's shape of chain (five
// synchronous guards, one of them answering with a settled promise, then two interceptors,
// one handing next.handle() on untouched and one with finalize), against guards only and the
// handler called directly. Also AsyncResource.bind, which Nest 11's published interceptor
// consumer calls once per level; the consumer installed here is patched not to (patches/, ADR
// 0001). Prints µs per call on the Node that runs it; asserts nothing.
// Usage: node tools/bench/nest-chain.mjs [--calls 200000]
import 'reflect-metadata';
import { Injectable, Module, UseGuards, UseInterceptors } from '@nestjs/common';
import { ExternalContextCreator, NestFactory } from '@nestjs/core';
import { AsyncResource } from 'node:async_hooks';
import { finalize } from 'rxjs';
import { parseArgs } from './bench-kit.mjs';

const { calls } = parseArgs(process.argv.slice(2), { calls: 200_000 });
const decorate = (decorators, target) => Reflect.decorate(decorators, target);
const SETTLED = Promise.resolve(true);

class SyncGuard {
  canActivate() {
    return true;
  }
}
class SettledGuard {
  canActivate() {
    return SETTLED;
  }
}
class UntouchedInterceptor {
  intercept(_context, next) {
    return next.handle();
  }
}
class SlotInterceptor {
  intercept(_context, next) {
    let slots = 1;
    return next.handle().pipe(finalize(() => slots--));
  }
}
for (const injectable of [
  SyncGuard,
  SettledGuard,
  UntouchedInterceptor,
  SlotInterceptor,
])
  decorate([Injectable()], injectable);

function handlerClass(guards, interceptors) {
  class Handler {
    forward() {
      return Promise.resolve();
    }
  }
  const decorators = [Injectable()];
  if (guards.length > 0) decorators.push(UseGuards(...guards));
  if (interceptors.length > 0)
    decorators.push(UseInterceptors(...interceptors));
  decorate(decorators, Handler);
  return Handler;
}

const GUARDS = [SettledGuard, SyncGuard, SyncGuard, SyncGuard, SyncGuard];
const shapes = {
  'guards only': handlerClass(GUARDS, []),
  'guards and two interceptors': handlerClass(GUARDS, [
    UntouchedInterceptor,
    SlotInterceptor,
  ]),
};
class BenchModule {}
decorate([Module({ providers: Object.values(shapes) })], BenchModule);
const app = await NestFactory.createApplicationContext(BenchModule, {
  logger: false,
});
const creator = app.get(ExternalContextCreator);

async function perCall(call) {
  // One warm-up pass, then the measured one.
  for (let pass = 0; pass < 2; pass++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await call();
    if (pass === 1)
      return Number(process.hrtime.bigint() - started) / 1e3 / calls;
  }
}

const rows = [];
const direct = new shapes['guards only']();
rows.push({
  path: 'handler called directly',
  'µs/call': await perCall(() => direct.forward()),
});
for (const [name, Handler] of Object.entries(shapes)) {
  const host = app.get(Handler);
  const run = creator.create(
    host,
    host.forward,
    'forward',
    undefined,
    undefined,
    undefined,
    undefined,
    { guards: true, interceptors: true, filters: false },
    'http',
  );
  rows.push({ path: name, 'µs/call': await perCall(() => run({}, {})) });
}
const started = process.hrtime.bigint();
for (let i = 0; i < calls; i++) AsyncResource.bind(() => i);
rows.push({
  path: 'AsyncResource.bind alone',
  'µs/call': Number(process.hrtime.bigint() - started) / 1e3 / calls,
});
console.log(`Nest's consumers, Node ${process.version}, ${calls} calls each`);
console.table(
  rows.map((row) => ({ ...row, 'µs/call': row['µs/call'].toFixed(2) })),
);
await app.close();
