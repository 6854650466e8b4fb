// O-3: a benchmark that draws. Raises the concurrency step by step against one or more URLs in
// the same run, records throughput, p50, p99 and error rate per step, prints the table and writes
// latency.svg, index.html and results.json (ECharts rendered server-side). It prints figures; it asserts nothing.
import autocannon from 'autocannon';
import * as echarts from 'echarts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { appEnv, freePort, root, spawnLogged, waitFor } from './bench-kit.mjs';

const USAGE = `Usage: npm run bench:curve -- [--url URL]... [--steps 1,2,5,...] [--duration S] [--out DIR]

  --url URL        a target; repeat for several (all are measured in the same run).
                   Without --url: the backend directly, the gateway in front of it, and the
                   gateway's hedged /api/smart over a backend /api/work with a scripted slow tail.
  --steps LIST     concurrency steps (default 1,2,5,10,20,50,100,200,500)
  --duration S     seconds per step and target (default 5)
  --out DIR        where latency.svg, index.html and results.json go (default tmp/latency-curve)
  --replot FILE    draw the chart and table again from a results.json, measuring nothing
  --help           this text

Each request carries a distinct x-bench-seq header, so the gateway never holds it as a replay (G-3).
The default targets need built apps: npx nx run-many -t build -p gateway,backend`;

function parseCli(argv) {
  const options = {
    urls: [],
    steps: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    duration: 5,
    out: join(root, 'tmp', 'latency-curve'),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--'))
      fail(`${flag} needs a value`);
    i++;
    if (flag === '--url') {
      try {
        options.urls.push(new URL(value).toString());
      } catch {
        fail(`--url ${value} is not an absolute URL`);
      }
    } else if (flag === '--steps') {
      options.steps = value.split(',').map(Number);
      if (
        options.steps.length === 0 ||
        options.steps.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000)
      )
        fail('--steps is a comma-separated list of integers in 1..10000');
    } else if (flag === '--duration') {
      options.duration = Number(value);
      if (!(options.duration > 0 && options.duration <= 600))
        fail('--duration is seconds in (0, 600]');
    } else if (flag === '--replot') {
      options.replot = resolve(value);
    } else if (flag === '--out') {
      options.out = resolve(value);
    } else fail(`unknown option ${flag}`);
  }
  return options;
}

function fail(message) {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

async function startApp(name, env, readyPath) {
  const main = join(root, 'dist', 'apps', name, 'main.js');
  if (!existsSync(main))
    fail(
      `${main} is missing: build it first (npx nx run-many -t build -p gateway,backend)`,
    );
  const port = await freePort();
  const child = spawnLogged(
    `gatehouse-latency-curve-${name}`,
    process.execPath,
    [main],
    appEnv(port, env),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}${readyPath}`, { timeoutMs: 30_000 });
  return { url, stop: () => child.kill('SIGTERM') };
}

// The reference system's curve: direct, through the gateway, and hedged over a slow tail.
async function defaultTargets() {
  const backend = await startApp('backend', {}, '/health/live');
  const gateway = await startApp(
    'gateway',
    {
      BACKEND_URL: backend.url,
      UPSTREAM_ERROR_LOG: '/dev/null',
      DUPLICATE_DELAY_MS: '0',
      MAX_IN_FLIGHT: '100000',
      HEDGE_AFTER_MS: '100',
    },
    '/_gateway/health/ready',
  );
  // 1 in 20 calls to /api/work takes 1000 ms, the rest 10 ms; reset before every step.
  const slowTail = JSON.stringify(
    Array.from({ length: 10_000 }, (_, i) => [
      { n: i },
      200,
      i % 20 === 7 ? 1000 : 10,
    ]),
  );
  const script = async () => {
    const response = await fetch(`${backend.url}/_mock/scenario`, {
      method: 'POST',
      body: slowTail,
    });
    await response.arrayBuffer();
  };
  return {
    targets: [
      { label: 'backend direct', url: `${backend.url}/api/users` },
      { label: 'through the gateway', url: `${gateway.url}/api/users` },
      {
        label: 'gateway /api/smart, slow tail',
        url: `${gateway.url}/api/smart`,
        before: script,
      },
    ],
    stop: () => {
      gateway.stop();
      backend.stop();
    },
  };
}

async function measure(url, connections, duration) {
  let seq = 0;
  const result = await autocannon({
    url,
    connections,
    duration,
    timeout: 30,
    requests: [
      {
        setupRequest: (request) => {
          request.headers = {
            ...request.headers,
            'x-bench-seq': String(seq++),
          };
          return request;
        },
      },
    ],
  });
  const answered = result.requests.total ?? 0;
  const failed = (result.errors ?? 0) + (result.non2xx ?? 0);
  const attempts = answered + (result.errors ?? 0);
  return {
    throughput: Math.round(answered / duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errorRate: attempts === 0 ? 1 : failed / attempts,
  };
}

// A log axis cannot show 0: sub-millisecond figures are drawn at 0.5 ms; the table keeps them.
function chartSvg(results, steps) {
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: 960,
    height: 640,
  });
  const categories = steps.map(String);
  const series = [];
  for (const [index, target] of results.entries()) {
    const color = ['#4a6fd1', '#d1784a', '#2f9e6e', '#9b59b6', '#c0392b'][
      index % 5
    ];
    series.push(
      {
        name: `${target.label} p50`,
        type: 'line',
        xAxisIndex: 0,
        yAxisIndex: 0,
        color,
        data: target.rows.map((r) => Math.max(r.p50, 0.5)),
      },
      {
        name: `${target.label} p99`,
        type: 'line',
        xAxisIndex: 0,
        yAxisIndex: 0,
        color,
        lineStyle: { type: 'dashed' },
        data: target.rows.map((r) => Math.max(r.p99, 0.5)),
      },
      {
        name: `${target.label} req/s`,
        type: 'bar',
        xAxisIndex: 1,
        yAxisIndex: 1,
        color,
        data: target.rows.map((r) => r.throughput),
      },
    );
  }
  chart.setOption({
    animation: false,
    backgroundColor: '#ffffff',
    title: {
      text: 'Latency and throughput against concurrency',
      left: 'center',
      textStyle: { fontSize: 14 },
    },
    legend: { top: 40, left: 20, right: 20, textStyle: { fontSize: 10 } },
    grid: [
      { left: 70, right: 90, top: 130, height: 250 },
      { left: 70, right: 90, top: 440, height: 160 },
    ],
    xAxis: [
      { type: 'category', gridIndex: 0, data: categories, name: 'concurrency' },
      { type: 'category', gridIndex: 1, data: categories, name: 'concurrency' },
    ],
    yAxis: [
      {
        type: 'log',
        gridIndex: 0,
        name: 'latency ms (p50 solid, p99 dashed)',
        min: 0.1,
      },
      { type: 'value', gridIndex: 1, name: 'req/s' },
    ],
    series,
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

function tableRows(results) {
  return results.flatMap((target) =>
    target.rows.map((row) => ({
      target: target.label,
      concurrency: row.concurrency,
      'req/s': row.throughput,
      'p50 ms': row.p50,
      'p99 ms': row.p99,
      errors: `${(row.errorRate * 100).toFixed(1)}%`,
    })),
  );
}

function markdownTable(rows) {
  const headers = Object.keys(rows[0]);
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${headers.map((h) => row[h]).join(' | ')} |`),
  ].join('\n');
}

function html(svg, rows, options, targets) {
  const escape = (text) =>
    String(text).replace(
      /[&<>"]/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
    );
  const headers = Object.keys(rows[0]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gatehouse latency curve</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2433}table{border-collapse:collapse}
th,td{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:right}th:first-child,td:first-child{text-align:left}</style>
</head><body>
<h1>Latency and throughput against concurrency</h1>
<p>${escape(new Date().toISOString())}: ${options.duration} s per step; targets: ${targets
    .map((t) => `${escape(t.label)} (<code>${escape(t.url)}</code>)`)
    .join(', ')}.</p>
${svg}
<table><thead><tr>${headers.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>
${rows.map((row) => `<tr>${headers.map((h) => `<td>${escape(row[h])}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>
</body></html>
`;
}

const options = parseCli(process.argv.slice(2));
let stop = () => undefined;
let targets = options.urls.map((url) => ({ label: url, url }));
let results;
if (options.replot) {
  ({
    steps: options.steps,
    duration: options.duration,
    results,
  } = JSON.parse(readFileSync(options.replot, 'utf8')));
  targets = results;
} else {
  if (targets.length === 0) ({ targets, stop } = await defaultTargets());
  results = targets.map((target) => ({ ...target, rows: [] }));
}
try {
  for (const concurrency of options.replot ? [] : options.steps) {
    for (const target of results) {
      await target.before?.();
      const row = await measure(target.url, concurrency, options.duration);
      target.rows.push({ concurrency, ...row });
      console.error(
        `${target.label} @ ${concurrency}: ${row.throughput} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, errors ${(row.errorRate * 100).toFixed(1)}%`,
      );
    }
  }
} finally {
  stop();
}

const rows = tableRows(results);
const svg = chartSvg(results, options.steps);
mkdirSync(options.out, { recursive: true });
writeFileSync(join(options.out, 'latency.svg'), svg);
writeFileSync(
  join(options.out, 'results.json'),
  JSON.stringify(
    {
      steps: options.steps,
      duration: options.duration,
      results: results.map(({ label, url, rows }) => ({ label, url, rows })),
    },
    null,
    2,
  ),
);
writeFileSync(
  join(options.out, 'index.html'),
  html(svg, rows, options, targets),
);
console.table(rows);
console.log(markdownTable(rows));
console.log(
  `wrote ${join(options.out, 'latency.svg')} and ${join(options.out, 'index.html')}`,
);
process.exit(0);
