// Gateway throughput against reference proxies measured in the same run, and memory under many clients.
// Usage: node tools/bench/gateway-bench.mjs [--duration 10] [--connections 50] [--rounds 2]
//   [--redis redis://127.0.0.1:6379 | --redis off] [--clients 1000000] [--profile <dir>]
//   [--gateway dist/apps/gateway/main.js] [--compare <another build's main.js>]
//   [--also-node <another node binary>]
// Needs built apps (npx nx run-many -t build -p gateway backend), wrk, and nginx for the nginx row:
//   apt-get update && apt-get install -y wrk nginx-light
// The bare Node proxy row (tools/bench/bare-proxy.mjs) is the ceiling: the same undici pool, no
// checks and no log line.
// Prints figures; asserts nothing. Every target gets the same upstream, connections, duration,
// wrk settings and a unique path per request.
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import {
  deleteKeysWithPrefix,
  freePort,
  parseArgs,
  root,
  spawnLogged,
  waitFor,
} from './bench-kit.mjs';

const {
  duration,
  connections,
  rounds,
  clients,
  redis: redisOption,
  profile,
  gateway: gatewayMain,
  compare,
  alsoNode,
} = parseArgs(process.argv.slice(2), {
  duration: 10,
  connections: 50,
  rounds: 2,
  clients: 0,
  redis: 'redis://127.0.0.1:6379',
  profile: undefined,
  // Another build of the gateway, to compare two versions with the same references.
  gateway: 'dist/apps/gateway/main.js',
  // A second build measured in the same rounds (memory store), for a before/after comparison.
  compare: undefined,
  // Another Node binary: reply-from and the gateway run on it too, in the same rounds, so that
  // two Node lines are compared in one run (each against its own reply-from).
  alsoNode: undefined,
});
const mainNode = process.version;
const otherNode =
  alsoNode === undefined
    ? undefined
    : spawnSync(alsoNode, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (alsoNode !== undefined && !/^v\d+/.test(otherNode ?? ''))
  throw new Error(`--also-node ${alsoNode} is not a Node binary`);
const redisUrl = redisOption === 'off' ? undefined : redisOption;

function installed(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}
if (!installed('wrk')) {
  console.error(
    'wrk is not installed. Install it with: apt-get update && apt-get install -y wrk nginx-light',
  );
  process.exit(1);
}
const nginxBinary = ['nginx', '/usr/sbin/nginx'].find(installed);
if (nginxBinary === undefined)
  console.error(
    'nginx is not installed, so its row is skipped. Install it with: apt-get install -y nginx-light',
  );

const work = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
// A unique path per request, so the duplicate delay never applies and stats see distinct paths.
// The summary is printed as one JSON line; latencies are in microseconds.
const script = join(work, 'unique-path.lua');
writeFileSync(
  script,
  `local counter = 0
local prefix = "/bench/" .. tostring(os.time()) .. "-" .. tostring(math.random(1e9)) .. "/"
request = function()
  counter = counter + 1
  return wrk.format(nil, prefix .. counter)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`,
);

function wrk(url) {
  const out = execFileSync(
    'wrk',
    [
      '-t1',
      `-c${connections}`,
      `-d${duration}s`,
      '--latency',
      '-s',
      script,
      url,
    ],
    { encoding: 'utf8' },
  );
  const summary = JSON.parse(out.trim().split('\n').pop());
  return {
    rps: summary.requests / (summary.durationUs / 1e6),
    p50: summary.p50Us / 1000,
    p99: summary.p99Us / 1000,
    errors: summary.errors,
    non2xx: summary.non2xx,
  };
}

// Latency at a fixed rate: p50/p99 when the target is not saturated.
async function atRate(url, rate) {
  let counter = 0;
  const result = await autocannon({
    url,
    connections,
    duration,
    overallRate: rate,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          path: `/rate/${process.pid}/${rate}/${++counter}`,
        }),
      },
    ],
  });
  return { p50: result.latency.p50, p99: result.latency.p99 };
}

const start = (name, command, commandArgs, env = {}) =>
  spawnLogged(`gatehouse-bench-${name}`, command, commandArgs, {
    ...process.env,
    ...env,
  });

const upstreamPort = await freePort();
await start('upstream', process.execPath, [
  join(root, 'tools/bench/fast-upstream.mjs'),
  String(upstreamPort),
]);
const upstream = `http://127.0.0.1:${upstreamPort}`;
await waitFor(upstream, { anyStatus: true });

const targets = [];

if (nginxBinary !== undefined) {
  const nginxPort = await freePort();
  // One process, as the Node proxies have one thread; keep-alive to the upstream, no access log.
  writeFileSync(
    join(work, 'nginx.conf'),
    `master_process off;
worker_processes 1;
pid ${join(work, 'nginx.pid')};
error_log ${join(work, 'nginx-error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${work};
  proxy_temp_path ${work};
  upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${nginxPort};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  start('nginx', nginxBinary, [
    '-p',
    work,
    '-c',
    join(work, 'nginx.conf'),
    '-g',
    'daemon off;',
  ]);
  const url = `http://127.0.0.1:${nginxPort}`;
  await waitFor(url, { anyStatus: true });
  targets.push({ label: 'nginx (proxy_pass, 1 process)', url });
}

async function startReplyFrom(name, node) {
  const port = await freePort();
  start(name, node, [
    join(root, 'tools/bench/plain-proxy.mjs'),
    String(port),
    upstream,
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/`, { anyStatus: true });
  return url;
}
// The ceiling: the gateway's upstream client with no checks and no log line.
async function startBare(name, node) {
  const port = await freePort();
  start(name, node, [
    join(root, 'tools/bench/bare-proxy.mjs'),
    String(port),
    upstream,
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/`, { anyStatus: true });
  return url;
}
targets.push({
  label: 'bare Node proxy (http + undici pool)',
  url: await startBare('bare-proxy', process.execPath),
  bare: true,
  node: mainNode,
});
targets.push({
  label: 'fastify + reply-from',
  url: await startReplyFrom('plain-proxy', process.execPath),
  reference: true,
  node: mainNode,
});

async function startGateway(
  name,
  env,
  main = gatewayMain,
  node = process.execPath,
) {
  const port = await freePort();
  const args = [isAbsolute(main) ? main : join(root, main)];
  if (profile !== undefined)
    args.unshift('--cpu-prof', `--cpu-prof-dir=${profile}`);
  const child = start(name, node, args, {
    PORT: String(port),
    HOST: '127.0.0.1',
    BACKEND_URL: upstream,
    UPSTREAM_ERROR_LOG: join(work, `${name}-upstream-errors.log`),
    TRUST_PROXY: clients > 0 ? '1' : '0',
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/_gateway/health/live`, { anyStatus: true });
  return { url, child };
}

const gateway = await startGateway('gateway', {});
targets.push({
  label: 'gateway (defaults, memory store)',
  url: gateway.url,
  node: mainNode,
});
if (alsoNode !== undefined) {
  targets.push({
    label: `bare Node proxy (http + undici pool), Node ${otherNode}`,
    url: await startBare('bare-proxy-other-node', alsoNode),
    bare: true,
    node: otherNode,
  });
  targets.push({
    label: `fastify + reply-from, Node ${otherNode}`,
    url: await startReplyFrom('plain-proxy-other-node', alsoNode),
    reference: true,
    node: otherNode,
  });
  const other = await startGateway(
    'gateway-other-node',
    {},
    gatewayMain,
    alsoNode,
  );
  targets.push({
    label: `gateway (defaults, memory store), Node ${otherNode}`,
    url: other.url,
    node: otherNode,
  });
}
if (compare !== undefined) {
  const other = await startGateway('gateway-compare', {}, compare);
  targets.push({
    label: `${compare} (defaults, memory store)`,
    url: other.url,
    node: mainNode,
  });
}

let redisPrefix;
if (redisUrl !== undefined) {
  redisPrefix = `gatehouse-bench-${process.pid}:`;
  const withRedis = await startGateway('gateway-redis', {
    REDIS_URL: redisUrl,
    REDIS_PREFIX: redisPrefix,
  });
  targets.push({
    label: 'gateway (defaults, Redis store)',
    url: withRedis.url,
    node: mainNode,
  });
}

// Warm-up so that JIT and connection pools are hot for every target. Unique paths, as in the
// rounds: a repeated path would be held by the gateway as a replay, leaving its forwarding cold.
let warmUp = 0;
for (const target of [{ url: upstream }, ...targets])
  await autocannon({
    url: target.url,
    connections,
    duration: 2,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          path: `/warm-up/${process.pid}/${++warmUp}`,
        }),
      },
    ],
  });

const measured = new Map(targets.map((target) => [target.label, []]));
for (let round = 1; round <= rounds; round++) {
  for (const target of targets) {
    const result = wrk(target.url);
    measured.get(target.label).push(result);
    console.error(
      `round ${round}: ${target.label}: ${Math.round(result.rps)} req/s`,
    );
  }
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
// Each target is compared with reply-from on its own Node line.
const referenceOf = (node) =>
  mean(
    measured
      .get(targets.find((t) => t.reference && t.node === node).label)
      .map((r) => r.rps),
  );
const referenceRps = referenceOf(mainNode);
// And with the bare proxy on its Node line: how much of the ceiling a target reaches.
const bareOf = (node) =>
  mean(
    measured
      .get(targets.find((t) => t.bare && t.node === node).label)
      .map((r) => r.rps),
  );
const halfPeak = Math.round(referenceRps / 2);
const rows = [];
for (const target of targets) {
  const results = measured.get(target.label);
  const rps = mean(results.map((r) => r.rps));
  const row = {
    target: target.label,
    'req/s': Math.round(rps),
    rounds: results.map((r) => Math.round(r.rps)).join(', '),
    'p50 ms': mean(results.map((r) => r.p50)).toFixed(2),
    'p99 ms': mean(results.map((r) => r.p99)).toFixed(2),
    'vs reply-from': `${(rps / (target.node === undefined ? referenceRps : referenceOf(target.node))).toFixed(2)}x`,
    'vs bare': `${(rps / bareOf(target.node ?? mainNode)).toFixed(2)}x`,
    errors: results.reduce((n, r) => n + r.errors + r.non2xx, 0),
  };
  if (!target.label.startsWith('nginx')) {
    const latency = await atRate(target.url, halfPeak);
    row[`p50/p99 ms at ${halfPeak}/s`] = `${latency.p50}/${latency.p99}`;
  }
  rows.push(row);
}
console.log(
  `\nGateway benchmark: Node ${mainNode}${otherNode === undefined ? '' : ` (and ${otherNode} where named)`}, wrk 1 thread, ${connections} connections, ${duration}s x ${rounds} rounds per target, unique path per request`,
);
console.table(rows);
const gatewayRow = rows.find((r) => r.target.includes('memory store'));
const redisRow = rows.find((r) => r.target.includes('Redis store'));
if (redisRow !== undefined)
  console.log(
    `Redis store vs memory store: ${(redisRow['req/s'] / gatewayRow['req/s']).toFixed(2)}x`,
  );

if (redisPrefix !== undefined) {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  await deleteKeysWithPrefix(redis, redisPrefix);
  await redis.quit();
}

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
}

if (clients > 0) {
  // RSS after each quarter of the clients: a bounded store shows a plateau, a leak a slope.
  const samples = [{ clients: 0, 'RSS MiB': rssMiB(gateway.child.pid) }];
  let next = 0;
  const started = Date.now();
  for (let quarter = 1; quarter <= 4; quarter++) {
    const result = await autocannon({
      url: gateway.url,
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
      'RSS MiB': rssMiB(gateway.child.pid),
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
if (profile !== undefined) {
  // The profile is written when the gateway exits.
  gateway.child.kill('SIGINT');
  await new Promise((resolve) => gateway.child.once('exit', resolve));
}
process.exit(0);
