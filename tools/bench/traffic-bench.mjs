// G-5/G-7 figures: gateway req/s with the Redis store against the in-memory store, and
// p50/p99 of GET /api/smart against a backend with a slow tail, hedged and not hedged.
// Usage: node tools/bench/traffic-bench.mjs [--duration 8] [--connections 50] [--smart 400]
//   [--redis redis://127.0.0.1:6379]
// Needs built apps (npx nx run-many -t build -p gateway backend). Prints figures; asserts nothing.
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import {
  appEnv,
  deleteKeysWithPrefix,
  freePort,
  parseArgs,
  spawnLogged,
  waitFor,
} from './bench-kit.mjs';

const {
  duration,
  connections,
  smart: smartCalls,
  redis: redisUrl,
} = parseArgs(process.argv.slice(2), {
  duration: 8,
  connections: 50,
  smart: 400,
  redis: 'redis://127.0.0.1:6379',
});

async function start(name, script, scriptArgs, env, readyPath) {
  const port = await freePort();
  const child = spawnLogged(
    `gatehouse-traffic-bench-${name}`,
    process.execPath,
    [script, ...scriptArgs(port)],
    appEnv(port, env),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}${readyPath}`);
  return { url, stop: () => child.kill('SIGTERM') };
}

const gateway = (name, env) =>
  start(
    name,
    'dist/apps/gateway/main.js',
    () => [],
    { UPSTREAM_ERROR_LOG: '/dev/null', ...env },
    '/_gateway/health/live',
  );

async function throughput(url) {
  let n = 0;
  const result = await autocannon({
    url,
    connections,
    duration,
    // A unique path per request: no request is a replay, and statistics see many paths.
    requests: [{ setupRequest: (req) => ({ ...req, path: `/bench/${n++}` }) }],
  });
  return {
    rps: Math.round(result.requests.average),
    p99: result.latency.p99,
    non2xx: result.non2xx,
  };
}

function percentile(sorted, p) {
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

async function smartLatency(url, backend) {
  // A slow tail: 1 in 10 calls to /api/work takes 1500 ms, the rest 20 ms.
  const steps = Array.from({ length: smartCalls * 4 }, (_, i) => [
    { n: i },
    200,
    i % 10 === 3 ? 1500 : 20,
  ]);
  await fetch(`${backend}/_mock/scenario`, {
    method: 'POST',
    body: JSON.stringify(steps),
  });
  const times = [];
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < smartCalls) {
      const i = next++;
      const started = performance.now();
      const response = await fetch(`${url}/api/smart`, {
        headers: { 'x-n': String(i) },
      });
      await response.arrayBuffer();
      if (response.status !== 200) failed++;
      times.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  times.sort((a, b) => a - b);
  return {
    p50: Math.round(percentile(times, 50)),
    p99: Math.round(percentile(times, 99)),
    failed,
  };
}

const upstream = await start(
  'upstream',
  'tools/bench/fast-upstream.mjs',
  (port) => [String(port)],
  {},
  '/',
);
const prefix = `gatehouse-bench:${randomUUID()}:`;
const common = { BACKEND_URL: upstream.url, MAX_IN_FLIGHT: '100000' };
const memory = await gateway('memory', common);
const redis = await gateway('redis', {
  ...common,
  REDIS_URL: redisUrl,
  REDIS_PREFIX: prefix,
});
await throughput(memory.url); // warm-up
const figures = {};
for (const round of [1, 2]) {
  figures[`memory#${round}`] = await throughput(memory.url);
  figures[`redis#${round}`] = await throughput(redis.url);
}
console.log(
  `throughput, ${connections} connections, ${duration} s each, unique paths:`,
);
console.table(figures);
memory.stop();
redis.stop();
const client = new Redis(redisUrl);
await deleteKeysWithPrefix(client, prefix);
client.disconnect();

const backend = await start(
  'backend',
  'dist/apps/backend/main.js',
  () => [],
  {},
  '/health/live',
);
const smartEnv = {
  BACKEND_URL: backend.url,
  DUPLICATE_DELAY_MS: '0',
  HEDGE_AFTER_MS: '100',
};
const hedged = await gateway('hedged', { ...smartEnv, HEDGE_EXTRA: '2' });
const plain = await gateway('plain', { ...smartEnv, HEDGE_EXTRA: '0' });
console.log(
  `GET /api/smart, ${smartCalls} calls, 10 at a time, /api/work: 10% take 1500 ms, 90% 20 ms, HEDGE_AFTER_MS=100:`,
);
console.table({
  'HEDGE_EXTRA=2': await smartLatency(hedged.url, backend.url),
  'HEDGE_EXTRA=0': await smartLatency(plain.url, backend.url),
});
process.exit(0);
