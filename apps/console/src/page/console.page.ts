import { BarChart, LineChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import {
  GATEWAY_DECISIONS,
  GatewayStatus,
  PathPage,
  SCAN_STATUSES,
  ScanAcceptedResponse,
  FINDING_SEVERITIES,
  ScanAttemptView,
  ScanResult,
  ScanListResponse,
  ScanSummaryResponse,
  ScanView,
} from '@gatehouse/shared/contracts';
import {
  Histogram,
  histogramDelta,
  histogramQuantile,
} from '../shared/histogram-quantile';

echarts.use([
  BarChart,
  LineChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  SVGRenderer,
]);

// O-1: one page, polling the console's own API; each panel fails on its own.
const POLL_MS = 1_000;
const HISTORY = 120;
const PATHS_PAGE = 10;
const SCANS_PAGE = 10;

interface Problem {
  status?: number;
  detail?: string;
  app?: string;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? `HTTP ${status}`);
  }
}

interface GatewayOverview {
  uptimeSeconds: number;
  requests: GatewayStatus['requests'];
  readiness: { ready: boolean; checks: Record<string, string> };
  latency: {
    histogram: {
      buckets: [number | null, number][];
      count: number;
      sum: number;
    };
    p50Ms: number | null;
    p99Ms: number | null;
  } | null;
}

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { cache: 'no-store', ...init });
  } catch {
    throw new ApiError(0, {
      detail: 'the console is unreachable.',
      app: 'console',
    });
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (!response.ok)
    throw new ApiError(response.status, (body ?? {}) as Problem);
  return body as T;
}

function $(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing`);
  return element;
}

function text(id: string, value: string): void {
  $(id).textContent = value;
}

function cell(value: string, className = ''): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = value;
  if (className) td.className = className;
  return td;
}

function row(cells: HTMLTableCellElement[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.append(...cells);
  return tr;
}

// "status is down: status is unreachable." names the app that failed.
function showError(id: string, error: unknown): void {
  const box = $(id);
  if (error === null) {
    box.classList.remove('shown');
    box.textContent = '';
    return;
  }
  const problem = error instanceof ApiError ? error.problem : {};
  const app = problem.app;
  const detail = error instanceof Error ? error.message : String(error);
  box.textContent =
    error instanceof ApiError &&
    (error.status === 502 || error.status === 0) &&
    app
      ? `${app} is down: ${detail}`
      : error instanceof ApiError && error.status === 503 && app
        ? `${app} is unavailable: ${detail}`
        : detail;
  box.classList.add('shown');
}

function duration(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m ${s}s`;
}

function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : value.toFixed(1);
}

function toHistogram(
  raw: NonNullable<GatewayOverview['latency']>['histogram'],
): Histogram {
  return {
    buckets: raw.buckets.map(([bound, count]) => [
      bound === null ? Infinity : bound,
      count,
    ]),
    count: raw.count,
    sum: raw.sum,
  };
}

// --- gateway panel ---------------------------------------------------------------------
const gatewayChart = echarts.init($('gw-chart'), undefined, {
  renderer: 'svg',
});
const history: {
  time: string;
  rates: Record<string, number>;
  p50: number | null;
  p99: number | null;
}[] = [];
let previous: {
  at: number;
  requests: Record<string, number>;
  histogram: Histogram;
} | null = null;

async function refreshGateway(): Promise<void> {
  const overview = await api<GatewayOverview>('/api/gateway');
  const now = Date.now();
  const histogram = overview.latency
    ? toHistogram(overview.latency.histogram)
    : null;
  const rates: Record<string, number> = {};
  const seconds = previous ? (now - previous.at) / 1000 : 0;
  for (const decision of GATEWAY_DECISIONS) {
    const delta = previous
      ? (overview.requests[decision] ?? 0) - (previous.requests[decision] ?? 0)
      : 0;
    rates[decision] = seconds > 0 && delta >= 0 ? delta / seconds : 0;
  }
  let p50: number | null = null;
  let p99: number | null = null;
  if (histogram && previous) {
    const window = histogramDelta(histogram, previous.histogram);
    const q50 = histogramQuantile(0.5, window);
    const q99 = histogramQuantile(0.99, window);
    p50 = q50 === null ? null : q50 * 1000;
    p99 = q99 === null ? null : q99 * 1000;
  }
  previous = {
    at: now,
    requests: overview.requests,
    histogram: histogram ?? { buckets: [], count: 0, sum: 0 },
  };

  text('gw-processed', String(overview.requests['processed'] ?? 0));
  text(
    'gw-rate',
    Object.values(rates)
      .reduce((a, b) => a + b, 0)
      .toFixed(1),
  );
  text('gw-p50', ms(overview.latency?.p50Ms));
  text('gw-p99', ms(overview.latency?.p99Ms));
  text('gw-uptime', duration(overview.uptimeSeconds));
  text('gw-ready', overview.readiness.ready ? 'ready' : 'NOT ready');

  const decisions = $('gw-decisions');
  decisions.replaceChildren(
    ...GATEWAY_DECISIONS.map((decision) => {
      const tr = row([
        cell(decision),
        cell(String(overview.requests[decision] ?? 0), 'num count'),
        cell(rates[decision].toFixed(1), 'num rate'),
      ]);
      tr.dataset['decision'] = decision;
      return tr;
    }),
  );
  const checks = Object.entries(overview.readiness.checks);
  $('gw-checks').replaceChildren(
    ...(checks.length > 0 ? checks : [['upstream', 'unknown']]).map(
      ([name, state]) => {
        const tr = row([
          cell(name),
          cell(state, state === 'up' ? 'status-Complete' : 'status-Failed'),
        ]);
        tr.dataset['check'] = name;
        return tr;
      },
    ),
  );

  history.push({ time: new Date(now).toLocaleTimeString(), rates, p50, p99 });
  if (history.length > HISTORY) history.shift();
  gatewayChart.setOption({
    animation: false,
    // Drawn in the SVG: the HTML tooltip writes style attributes, which the page's CSP refuses.
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    legend: { top: 0, textStyle: { fontSize: 10 } },
    grid: { left: 40, right: 45, top: 30, bottom: 20 },
    xAxis: {
      type: 'category',
      data: history.map((h) => h.time),
      axisLabel: { fontSize: 9 },
    },
    yAxis: [
      { type: 'value', name: 'req/s', nameTextStyle: { fontSize: 9 } },
      { type: 'value', name: 'ms', nameTextStyle: { fontSize: 9 } },
    ],
    series: [
      ...GATEWAY_DECISIONS.map((decision) => ({
        name: decision,
        type: 'line',
        stack: 'rate',
        areaStyle: {},
        showSymbol: false,
        data: history.map((h) => h.rates[decision]),
      })),
      {
        name: 'p50 ms',
        type: 'line',
        yAxisIndex: 1,
        showSymbol: false,
        data: history.map((h) => h.p50),
      },
      {
        name: 'p99 ms',
        type: 'line',
        yAxisIndex: 1,
        showSymbol: false,
        data: history.map((h) => h.p99),
      },
    ],
  });
}

let pathsOffset = 0;
async function refreshPaths(): Promise<void> {
  const page = await api<PathPage>(
    `/api/gateway/paths?limit=${PATHS_PAGE}&offset=${pathsOffset}`,
  );
  $('gw-paths').replaceChildren(
    ...page.paths.map((p) => row([cell(p.path), cell(String(p.count), 'num')])),
  );
  const last = Math.min(pathsOffset + PATHS_PAGE, page.total);
  text(
    'paths-page',
    page.total === 0
      ? 'no paths yet'
      : `${pathsOffset + 1}–${last} of ${page.total}`,
  );
  ($('paths-prev') as HTMLButtonElement).disabled = pathsOffset === 0;
  ($('paths-next') as HTMLButtonElement).disabled = last >= page.total;
}

// --- scans panel -----------------------------------------------------------------------
const scanChart = echarts.init($('scan-chart'), undefined, { renderer: 'svg' });
let filter = '';
let search = '';
let cursors: (string | null)[] = [null];
let nextCursor: string | null = null;
let selected: string | null = null;

async function refreshSummary(): Promise<void> {
  const summary = await api<ScanSummaryResponse>('/api/scans/summary');
  $('scan-summary').replaceChildren(
    ...[...SCAN_STATUSES, 'total' as const].map((name) => {
      const figure = document.createElement('div');
      figure.className = 'figure';
      figure.dataset['status'] = name;
      const value = document.createElement('b');
      value.textContent = String(summary[name] ?? 0);
      const label = document.createElement('span');
      label.textContent = name;
      figure.append(value, label);
      return figure;
    }),
  );
  scanChart.setOption({
    animation: false,
    grid: { left: 70, right: 20, top: 5, bottom: 20 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: SCAN_STATUSES },
    series: [
      {
        type: 'bar',
        data: SCAN_STATUSES.map((s) => summary[s] ?? 0),
        itemStyle: { color: '#4a6fd1' },
      },
    ],
  });
}

async function refreshList(): Promise<void> {
  const params = new URLSearchParams({ limit: String(SCANS_PAGE) });
  if (filter) params.set('status', filter);
  if (search) params.set('target', search);
  const cursor = cursors[cursors.length - 1];
  if (cursor) params.set('cursor', cursor);
  const page = await api<ScanListResponse>(`/api/scans?${params}`);
  nextCursor = page.nextCursor;
  $('scan-list').replaceChildren(
    ...page.items.map((scan) => {
      const tr = row([
        cell(scan.scanId.slice(0, 8)),
        cell(scan.target ?? '–'),
        cell(scan.status, `status-${scan.status}`),
        cell(String(scan.attempts ?? 0), 'num'),
        cell(
          scan.createdAt ? new Date(scan.createdAt).toLocaleTimeString() : '–',
        ),
      ]);
      tr.className = `selectable${scan.scanId === selected ? ' selected' : ''}`;
      tr.dataset['scanId'] = scan.scanId;
      tr.addEventListener('click', () => {
        selected = scan.scanId;
        void refreshDetail().catch(() => undefined);
      });
      return tr;
    }),
  );
  text('scans-page', `page ${cursors.length}`);
  ($('scans-next') as HTMLButtonElement).disabled = nextCursor === null;
  ($('scans-first') as HTMLButtonElement).disabled = cursors.length === 1;
}

// The last column of a scan's history: what the entry did, as an operator reads it.
function historyOutcome(entry: ScanAttemptView): string {
  switch (entry.kind) {
    case 'claim':
      if (entry.nextAttemptAt)
        return `retry at ${new Date(entry.nextAttemptAt).toLocaleTimeString()}: ${entry.error ?? ''}`;
      if (entry.released) return 'released';
      return entry.leaseUntil
        ? new Date(entry.leaseUntil).toLocaleTimeString()
        : '–';
    case 'cancel':
      return 'cancel asked';
    case 'retry':
      return 'queued again';
    case 'delivery':
      return deliveryOutcome(entry);
    default:
      return `${entry.status ?? ''}${entry.error ? `: ${entry.error}` : ''}`;
  }
}

// S-19: one try at the scan's webhook, as an operator reads it.
function deliveryOutcome(entry: ScanAttemptView): string {
  const answer =
    entry.httpStatus === null || entry.httpStatus === undefined
      ? ''
      : ` (HTTP ${entry.httpStatus})`;
  if (entry.status === 'delivered') return `webhook delivered${answer}`;
  if (entry.status !== 'failed') return 'webhook being sent';
  const next = entry.nextAttemptAt
    ? `, next try at ${new Date(entry.nextAttemptAt).toLocaleTimeString()}`
    : ', given up';
  return `webhook failed${answer}${entry.error ? `: ${entry.error}` : ''}${next}`;
}

async function refreshDetail(): Promise<void> {
  if (!selected) return;
  text('scan-detail-id', selected);
  try {
    const detail = await api<{
      scan: ScanView;
      attempts: ScanAttemptView[] | null;
    }>(`/api/scans/${selected}`);
    showError('scan-detail-error', null);
    const status = $('scan-detail-status');
    status.textContent =
      detail.scan.status + (detail.scan.error ? ` (${detail.scan.error})` : '');
    status.className = `status-${detail.scan.status}`;
    // S-17: cancel while waiting or running (once asked, it waits for the worker); retry once
    // Failed or Cancelled.
    const state = detail.scan.status;
    ($('scan-cancel') as HTMLButtonElement).disabled =
      !(state === 'Accepted' || state === 'Running') ||
      Boolean(detail.scan.cancelRequestedAt);
    ($('scan-retry') as HTMLButtonElement).disabled = !(
      state === 'Failed' || state === 'Cancelled'
    );
    $('scan-attempts').replaceChildren(
      ...(detail.attempts ?? []).map((entry) => {
        const outcome = historyOutcome(entry);
        const tr = row([
          cell(String(entry.seq ?? '')),
          cell(entry.kind),
          cell(String(entry.attempt), 'num'),
          cell(entry.workerId),
          cell(new Date(entry.at).toLocaleTimeString()),
          cell(outcome),
        ]);
        tr.dataset['kind'] = entry.kind;
        return tr;
      }),
    );
    showResult(detail.scan.result ?? null);
    if (detail.attempts === null)
      showError(
        'scan-detail-error',
        new Error('status does not expose the attempt history.'),
      );
  } catch (error) {
    showError('scan-detail-error', error);
  }
}

// S-14 in the console: findings, most severe first, then the TLS and HTTP facts.
function showResult(result: ScanResult | null): void {
  const rank = (severity: string) =>
    FINDING_SEVERITIES.indexOf(severity as (typeof FINDING_SEVERITIES)[number]);
  const findings = [...(result?.findings ?? [])].sort(
    (a, b) => rank(b.severity) - rank(a.severity),
  );
  $('scan-findings').replaceChildren(
    ...findings.map((finding) => {
      const tr = row([
        cell(finding.severity, `severity-${finding.severity}`),
        cell(finding.check),
        cell(finding.title),
        cell(finding.evidence),
      ]);
      tr.dataset['check'] = finding.check;
      return tr;
    }),
  );
  text(
    'scan-finding-summary',
    result
      ? [...FINDING_SEVERITIES]
          .reverse()
          .filter((severity) => result.summary[severity] > 0)
          .map((severity) => `${result.summary[severity]} ${severity}`)
          .join(', ') || 'none'
      : '',
  );
  const facts: [string, string | null | undefined][] = [];
  if (result?.tls) {
    const tls = result.tls;
    facts.push(
      ['TLS', `${tls.protocol ?? '–'} ${tls.cipher ?? ''}`],
      ['subject', tls.subject],
      ['issuer', tls.issuer],
      ['names', (tls.subjectAltNames ?? []).join(', ')],
      [
        'not after',
        tls.notAfter ? `${tls.notAfter} (${tls.daysLeft} days left)` : null,
      ],
      ['trusted', tls.trusted ? 'yes' : `no (${tls.trustError ?? ''})`],
      ['name matches', tls.nameMatches ? 'yes' : 'no'],
    );
  }
  if (result?.http) {
    const http = result.http;
    facts.push(
      ['HTTP', `${http.status} ${http.finalUrl}`],
      ['redirects', String(http.redirects.length)],
      ['server', http.server],
      [
        'https redirect',
        http.httpsRedirect === null || http.httpsRedirect === undefined
          ? '–'
          : http.httpsRedirect
            ? 'yes'
            : 'no',
      ],
    );
  }
  $('scan-facts').replaceChildren(
    ...facts.flatMap(([name, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = name;
      const dd = document.createElement('dd');
      dd.textContent = value ?? '–';
      return [dt, dd];
    }),
  );
}

async function refreshApps(): Promise<void> {
  try {
    const apps = await api<Record<string, string>>('/api/apps');
    for (const [app, state] of Object.entries(apps)) {
      const pill = document.getElementById(`app-${app}`);
      if (!pill) continue;
      pill.className = `pill ${state}`;
      pill.textContent = `${app}: ${state}`;
    }
  } catch {
    for (const app of ['gateway', 'ingest', 'status']) {
      $(`app-${app}`).className = 'pill';
      $(`app-${app}`).textContent = `${app}: ?`;
    }
  }
}

// Each panel catches its own failure, so one app down never blanks the others.
async function guarded(
  errorBox: string,
  work: () => Promise<void>[],
): Promise<void> {
  const results = await Promise.allSettled(work());
  const failed = results.find(
    (r): r is PromiseRejectedResult => r.status === 'rejected',
  );
  showError(errorBox, failed ? failed.reason : null);
}

let refreshing = false;
async function refresh(): Promise<void> {
  if (refreshing) return;
  refreshing = true;
  try {
    await Promise.all([
      refreshApps(),
      guarded('gateway-error', () => [refreshGateway(), refreshPaths()]),
      guarded('scans-error', () => [
        refreshSummary(),
        refreshList(),
        refreshDetail(),
      ]),
    ]);
    text('updated', `updated ${new Date().toLocaleTimeString()}`);
  } finally {
    refreshing = false;
  }
}

$('paths-prev').addEventListener('click', () => {
  pathsOffset = Math.max(0, pathsOffset - PATHS_PAGE);
  void refresh();
});
$('paths-next').addEventListener('click', () => {
  pathsOffset += PATHS_PAGE;
  void refresh();
});
$('scans-next').addEventListener('click', () => {
  if (nextCursor) cursors.push(nextCursor);
  void refresh();
});
$('scans-first').addEventListener('click', () => {
  cursors = [null];
  void refresh();
});
// S-18: a target search; each keystroke starts again from the newest page.
$('scan-search').addEventListener('input', (event) => {
  search = (event.target as HTMLInputElement).value.trim();
  cursors = [null];
  void refresh();
});
$('scan-filter').addEventListener('change', (event) => {
  filter = (event.target as HTMLSelectElement).value;
  cursors = [null];
  void refresh();
});
// One Idempotency-Key per queue-a-scan action: a retried or repeated click on the same target,
// before ingest has given a definite answer, reuses it, so ingest creates one scan.
let queuing: { target: string; key: string } | null = null;

function idempotencyKey(): string {
  // crypto.randomUUID needs a secure context; the console may be served over plain HTTP.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// S-17: the selected scan's Cancel and Retry buttons.
for (const action of ['cancel', 'retry'] as const) {
  $(`scan-${action}`).addEventListener('click', () => {
    if (!selected) return;
    const button = $(`scan-${action}`) as HTMLButtonElement;
    button.disabled = true;
    void api<ScanView>(`/api/scans/${selected}/${action}`, { method: 'POST' })
      .then(() => {
        showError('scan-detail-error', null);
        return refresh();
      })
      .catch((error: unknown) => showError('scan-detail-error', error));
  });
}

$('scan-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const target = ($('scan-target') as HTMLInputElement).value.trim();
  const kind = ($('scan-kind') as HTMLSelectElement).value;
  const callbackUrl = ($('scan-callback') as HTMLInputElement).value.trim();
  const what = `${kind} ${target} ${callbackUrl}`;
  if (queuing?.target !== what)
    queuing = { target: what, key: idempotencyKey() };
  const action = queuing;
  void api<ScanAcceptedResponse>('/api/scans', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': action.key,
    },
    body: JSON.stringify({
      ...(target === '' ? {} : { target }),
      kind,
      ...(callbackUrl === '' ? {} : { callbackUrl }),
    }),
  })
    .then((accepted) => {
      if (queuing === action) queuing = null;
      showError('form-error', null);
      selected = accepted.scanId;
      $('scan-result').textContent =
        `Queued ${accepted.scanId} (${accepted.status})`;
      $('scan-result').dataset['scanId'] = accepted.scanId;
      return refresh();
    })
    .catch((error: unknown) => {
      // A refusal (4xx) is definite; after a network error, 502, 503 or 504 the scan may
      // exist, so the next click on the same target retries with the same key.
      if (
        error instanceof ApiError &&
        error.status >= 400 &&
        error.status < 500 &&
        queuing === action
      )
        queuing = null;
      showError('form-error', error);
    });
});
window.addEventListener('resize', () => {
  gatewayChart.resize();
  scanChart.resize();
});

void refresh();
setInterval(() => void refresh(), POLL_MS);
