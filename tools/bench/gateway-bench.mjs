// Gateway throughput against references measured in the same run, and memory under many clients.
// Usage: node tools/bench/gateway-bench.mjs [--duration 10] [--connections 50] [--clients 1000000]
// Needs built apps (npx nx run-many -t build -p gateway backend). Prints figures; asserts nothing.
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  parseArgs,
  root,
  spawnLogged,
  waitFor,
} from './bench-kit.mjs';

const {
  duration,
  connections,
  clients,
  redis: redisUrl,
} = parseArgs(process.argv.slice(2), {
  duration: 10,
  connections: 50,
  clients: 0,
  redis: undefined,
});

const start = (name, command, commandArgs, env = {}) =>
  spawnLogged(`gatehouse-bench-${name}`, command, commandArgs, {
    ...process.env,
    ...env,
  });

async function measure(label, url, extra = {}) {
  let counter = 0;
  // A unique path per request, so the duplicate delay never applies and stats see distinct paths.
  const result = await autocannon({
    url,
    connections,
    duration,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          path: `/bench/${process.pid}/${++counter}`,
        }),
      },
    ],
    ...extra,
  });
  const row = {
    target: label,
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
  console.error(`measured ${label}: ${row['req/s']} req/s`);
  return row;
}

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
}

const upstreamPort = await freePort();
await start('upstream', process.execPath, [
  join(root, 'tools/bench/fast-upstream.mjs'),
  String(upstreamPort),
]);
const upstream = `http://127.0.0.1:${upstreamPort}`;
await waitFor(upstream, { anyStatus: true });

const proxyPort = await freePort();
await start('plain-proxy', process.execPath, [
  join(root, 'tools/bench/plain-proxy.mjs'),
  String(proxyPort),
  upstream,
]);
await waitFor(`http://127.0.0.1:${proxyPort}/`, { anyStatus: true });

const gatewayPort = await freePort();
const gatewayEnv = {
  PORT: String(gatewayPort),
  HOST: '127.0.0.1',
  BACKEND_URL: upstream,
  UPSTREAM_ERROR_LOG: join(tmpdir(), 'gatehouse-bench-upstream-errors.log'),
  TRUST_PROXY: clients > 0 ? '1' : '0',
  ...(redisUrl
    ? { REDIS_URL: redisUrl, REDIS_PREFIX: `gatehouse-bench-${process.pid}:` }
    : {}),
};
const gateway = await start(
  'gateway',
  process.execPath,
  [join(root, 'dist/apps/gateway/main.js')],
  gatewayEnv,
);
await waitFor(`http://127.0.0.1:${gatewayPort}/_gateway/health/live`, {
  anyStatus: true,
});

const rows = [];
// Warm-up so that JIT and connection pools are hot for every target.
for (const port of [upstreamPort, proxyPort, gatewayPort])
  await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: 2,
  });
rows.push(await measure('upstream direct', upstream));
rows.push(
  await measure(
    'plain proxy (fastify + reply-from)',
    `http://127.0.0.1:${proxyPort}`,
  ),
);
rows.push(
  await measure(
    `gateway (defaults${redisUrl ? ', Redis store' : ', memory store'})`,
    `http://127.0.0.1:${gatewayPort}`,
  ),
);
const reference = rows[1]['req/s'];
for (const row of rows)
  row['vs plain proxy'] = `${(row['req/s'] / reference).toFixed(2)}x`;
console.log(
  `\nGateway benchmark: ${duration}s per target, ${connections} connections, unique path per request`,
);
console.table(rows);

if (clients > 0) {
  // RSS after each quarter of the clients: a bounded store shows a plateau, a leak a slope.
  const samples = [{ clients: 0, 'RSS MiB': rssMiB(gateway.pid) }];
  let next = 0;
  const started = Date.now();
  for (let quarter = 1; quarter <= 4; quarter++) {
    const result = await autocannon({
      url: `http://127.0.0.1:${gatewayPort}`,
      connections,
      amount: Math.ceil(clients / 4),
      requests: [
        {
          setupRequest: (request) => {
            const n = ++next;
            // Documentation-range addresses: only ever a header value, never a destination.
            const ip = `2001:db8::${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
            return {
              ...request,
              path: `/clients/${n}`,
              headers: { ...request.headers, 'x-forwarded-for': ip },
            };
          },
        },
      ],
    });
    samples.push({
      clients: next,
      'RSS MiB': rssMiB(gateway.pid),
      'req/s': Math.round(result.requests.average),
      non2xx: result.non2xx,
      errors: result.errors,
    });
  }
  console.log(
    `\nMemory: ${next} distinct clients (X-Forwarded-For, TRUST_PROXY=1, STORE_MAX_CLIENTS default) in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  console.table(samples);
}
process.exit(0);
