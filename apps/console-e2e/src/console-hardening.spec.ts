import {
  AppProcess,
  eventually,
  RecordingUpstream,
  startApp,
} from '@gatehouse/shared/testing';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Browser, launchChromium } from './support/browser.test-helper';

const WAIT = { timeout: 30_000 };
const TWENTY_MB = 20 * 1024 * 1024;
const LEAKS = /internal\.corp|main\.js|stack|trace|db-7/i;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

// What a hostile or broken app might put in an error: a stack, host names, its own fields.
function leakyProblem(res: ServerResponse, status: number): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/problem+json');
  res.setHeader('x-internal-host', 'db-7.internal.corp');
  res.setHeader('retry-after', '120');
  res.end(
    JSON.stringify({
      type: 'https://status.internal.corp/problems/oops',
      title: 'Lookup failed on db-7.internal.corp',
      status,
      detail: 'TypeError: x is undefined\n    at /srv/app/main.js:12:7',
      instance: '/internal/path',
      requestId: 'upstream-request-id',
      stack: 'TypeError\n    at /srv/app/main.js:12:7',
      upstreamHost: 'db-7.internal.corp',
      app: 'db-7',
    }),
  );
}

// 20 MB, streamed without Content-Length; resolves whether the reader hung up before the end.
function twentyMegabytes(res: ServerResponse): Promise<boolean> {
  res.setHeader('content-type', 'application/json');
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  return new Promise((resolve) => {
    res.on('close', () => resolve(!res.writableFinished));
    const pump = (): void => {
      while (sent < TWENTY_MB) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
}

const METRICS = [
  '# TYPE gateway_request_duration_seconds histogram',
  'gateway_request_duration_seconds_bucket{le="0.005"} 4',
  'gateway_request_duration_seconds_bucket{le="0.05"} 9',
  'gateway_request_duration_seconds_bucket{le="+Inf"} 10',
  'gateway_request_duration_seconds_sum 0.2',
  'gateway_request_duration_seconds_count 10',
  '',
].join('\n');

// O-1: the console process against fake apps on real sockets, and the page in a real Chromium.
describe('console hardening (O-1) against fake apps', () => {
  const gateway = new RecordingUpstream();
  const ingest = new RecordingUpstream();
  const status = new RecordingUpstream();
  let consoleApp: AppProcess;
  let browser: Browser;
  let processed = 10;
  let streamCut: Promise<boolean> | undefined;
  let summaryMode: 'ok' | 'leaky' | 'declared-large' | 'streamed-large' = 'ok';
  let ingestAnswers: ((res: ServerResponse) => void)[] = [];

  beforeAll(async () => {
    gateway.respond((req, res) => {
      const path = req.url.split('?')[0];
      if (path === '/_gateway/status')
        return json(res, 200, {
          uptimeSeconds: 65,
          store: 'memory',
          requests: { processed: (processed += 3), forwarded: processed },
        });
      if (path === '/_gateway/health/ready')
        return json(res, 200, { checks: { upstream: 'up' } });
      if (path === '/_gateway/stats')
        return json(res, 200, { total: 1, paths: [{ path: '/a', count: 3 }] });
      if (path === '/metrics') {
        res.setHeader('content-type', 'text/plain; version=0.0.4');
        return res.end(METRICS);
      }
      json(res, 404, {});
    });
    status.respond((req, res) => {
      const path = req.url.split('?')[0];
      if (path === '/scans/summary') {
        if (summaryMode === 'leaky') return leakyProblem(res, 404);
        if (summaryMode === 'declared-large') {
          res.setHeader('content-type', 'application/json');
          res.setHeader('content-length', TWENTY_MB);
          return void res.write('{"Accepted": 1');
        }
        if (summaryMode === 'streamed-large') {
          streamCut = twentyMegabytes(res);
          return;
        }
        return json(res, 200, { Accepted: 1, total: 1 });
      }
      if (path === '/scans')
        return json(res, 200, { items: [], nextCursor: null });
      if (path.startsWith('/scans/')) return leakyProblem(res, 503);
      json(res, 200, { status: 'ok' });
    });
    ingest.respond((req, res) => {
      if (req.method !== 'POST') return json(res, 200, { status: 'ok' });
      const next = ingestAnswers.shift();
      if (next) return next(res);
      json(res, 202, { scanId: randomUUID(), status: 'Accepted' });
    });
    const [gatewayUrl, ingestUrl, statusUrl] = await Promise.all([
      gateway.listen(),
      ingest.listen(),
      status.listen(),
    ]);
    consoleApp = await startApp('console', {
      env: {
        GATEWAY_URL: gatewayUrl,
        INGEST_URL: ingestUrl,
        STATUS_URL: statusUrl,
        CALL_TIMEOUT_MS: '10000',
      },
    });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await consoleApp?.stop('SIGKILL');
    await Promise.all([gateway.close(), ingest.close(), status.close()]);
  });

  afterEach(() => {
    summaryMode = 'ok';
    ingestAnswers = [];
  });

  it("O-1: relays an app's error as its status and a generic title, never the app's detail, type, fields or headers", async () => {
    summaryMode = 'leaky';
    const response = await fetch(`${consoleApp.url}/api/scans/summary`, {
      headers: { 'x-request-id': 'console-e2e-leak' },
    });
    const text = await response.text();
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(
      /^application\/problem\+json/,
    );
    expect(response.headers.get('x-internal-host')).toBeNull();
    expect(response.headers.get('retry-after')).toBeNull();
    expect(text).not.toMatch(LEAKS);
    const problem = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(problem).sort()).toEqual(
      [
        'app',
        'detail',
        'instance',
        'requestId',
        'status',
        'title',
        'type',
      ].sort(),
    );
    expect(problem).toMatchObject({
      title: 'Not Found',
      status: 404,
      app: 'status',
      instance: '/api/scans/summary',
      requestId: 'console-e2e-leak',
    });
    expect(problem['type']).toMatch(/\/not-found$/);

    // A 503 on another route, and from ingest on a POST, is relayed the same way.
    const detail = await fetch(`${consoleApp.url}/api/scans/${randomUUID()}`);
    const detailText = await detail.text();
    expect(detail.status).toBe(503);
    expect(JSON.parse(detailText)).toMatchObject({
      title: 'Service Unavailable',
      status: 503,
      app: 'status',
    });
    expect(detailText).not.toMatch(LEAKS);
    ingestAnswers = [(res) => leakyProblem(res, 409)];
    const post = await fetch(`${consoleApp.url}/api/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"target": "a.example"}',
    });
    const postText = await post.text();
    expect(post.status).toBe(409);
    expect(JSON.parse(postText)).toMatchObject({
      title: 'Conflict',
      app: 'ingest',
    });
    expect(postText).not.toMatch(LEAKS);
  });

  it('O-1: a 20 MB app answer is never buffered or relayed: the console answers a bounded 502', async () => {
    for (const mode of ['declared-large', 'streamed-large'] as const) {
      summaryMode = mode;
      const started = Date.now();
      const response = await fetch(`${consoleApp.url}/api/scans/summary`);
      const text = await response.text();
      expect(response.status).toBe(502);
      expect(text.length).toBeLessThan(2_000);
      expect(JSON.parse(text)).toMatchObject({
        status: 502,
        app: 'status',
        type: expect.stringMatching(/app-answer-too-large$/),
      });
      // Refused at once, not after the call timeout of a stalled read.
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    // The console hung up long before the app had written its 20 MB.
    await expect(streamCut).resolves.toBe(true);
  });

  it("O-1: every answer carries a CSP with frame-ancestors 'none', nosniff, Referrer-Policy and X-Frame-Options", async () => {
    summaryMode = 'leaky';
    const base = consoleApp.url;
    const answers = await Promise.all(
      [
        ['/', 200],
        ['/console.css', 200],
        ['/page/console.js', 200],
        ['/health/live', 200],
        ['/api/apps', 200],
        ['/openapi.json', 200],
        ['/docs', 200],
        ['/api/scans/summary', 404],
        ['/api/scans/not-a-uuid', 400],
        ['/no-such-route', 404],
      ].map(async ([path, expected]) => {
        const response = await fetch(`${base}${path}`);
        await response.arrayBuffer();
        return { path, expected, response };
      }),
    );
    const badJson = await fetch(`${base}/api/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{oops',
    });
    await badJson.arrayBuffer();
    answers.push({ path: 'POST {oops', expected: 400, response: badJson });
    for (const { path, expected, response } of answers) {
      const headers = response.headers;
      expect({ path, status: response.status }).toEqual({
        path,
        status: expected,
      });
      const csp = headers.get('content-security-policy') ?? '';
      expect({ path, csp }).toEqual({
        path,
        csp: expect.stringContaining("frame-ancestors 'none'"),
      });
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(headers.get('x-frame-options')).toBe('DENY');
    }
    const page = answers[0].response.headers.get('content-security-policy');
    expect(page).toContain("default-src 'self'");
    expect(page).toMatch(/style-src 'self'(;|$)/);
  });

  it('O-1: the page renders under its CSP with no violation, the chart tooltip included', async () => {
    const page = browser.page;
    const served = await page.goto(consoleApp.url, WAIT);
    expect(served?.headers()['content-security-policy']).toContain(
      "style-src 'self'",
    );
    await page.waitForFunction(
      () =>
        Number(document.getElementById('gw-processed')?.textContent) > 0 &&
        document.querySelectorAll('#gw-chart svg path').length > 0,
      undefined,
      WAIT,
    );
    // The stylesheet is applied: the header is dark, the scan chart has its own height.
    expect(
      await page
        .locator('header')
        .evaluate((el) => getComputedStyle(el).backgroundColor),
    ).toBe('rgb(29, 36, 51)');
    expect(
      await page.locator('#scan-chart').evaluate((el) => el.clientHeight),
    ).toBe(160);
    const box = await page.locator('#gw-chart').boundingBox();
    if (!box) throw new Error('#gw-chart is not shown');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width / 2 + 5, box.y + box.height / 2);
    await page.waitForTimeout(500);
    expect(browser.cspViolations).toEqual([]);
  });

  it('O-1: a page on another origin cannot frame the console', async () => {
    const framer = new RecordingUpstream();
    framer.respond((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<!doctype html><iframe id="console" src="${consoleApp.url}/" width="800" height="600"></iframe>`,
      );
    });
    // localhost and 127.0.0.1 on another port: another origin.
    const framerUrl = (await framer.listen()).replace('127.0.0.1', 'localhost');
    const page = await browser.context.newPage();
    try {
      const refused = page.waitForEvent('console', {
        predicate: (message) => /frame-ancestors/.test(message.text()),
        ...WAIT,
      });
      await page.goto(framerUrl, WAIT);
      await refused;
      const frame = page.frames().find((f) => f !== page.mainFrame());
      const rendered = await frame
        ?.evaluate(() => document.getElementById('scan-form') !== null)
        .catch(() => false);
      expect(rendered ?? false).toBe(false);
    } finally {
      await page.close();
      await framer.close();
      // The refusal itself is the one violation this test expects.
      browser.cspViolations.length = 0;
    }
  });

  it('O-1: each queue-a-scan sends an Idempotency-Key, reused on the retry of that action, relayed to ingest', async () => {
    const page = browser.page;
    await page.goto(consoleApp.url, WAIT);
    const before = ingest.requests.length;
    const keys = (): string[] =>
      ingest.requests
        .slice(before)
        .filter((r) => r.method === 'POST')
        .map((r) => String(r.headers['idempotency-key'] ?? ''));
    ingestAnswers = [
      (res) => leakyProblem(res, 503),
      // The retry is slow, so that a second click lands while it is in flight.
      (res) =>
        setTimeout(
          () => json(res, 202, { scanId: randomUUID(), status: 'Accepted' }),
          800,
        ),
    ];
    await page.locator('#scan-target').fill('idem.example');
    await page.locator('#scan-submit').click();
    await page
      .locator('#form-error', { hasText: 'ingest is unavailable' })
      .waitFor(WAIT);
    await page.locator('#scan-submit').click();
    await page.locator('#scan-submit').click();
    await page.locator('#scan-result[data-scan-id]').waitFor(WAIT);
    await eventually(() => keys().length >= 3 || undefined, 10_000, '3 posts');
    // A new action after the answer: a fresh key.
    await page.locator('#scan-submit').click();
    await eventually(() => keys().length >= 4 || undefined, 10_000, '4 posts');
    const [first, retry, again, fresh] = keys();
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(retry).toBe(first);
    expect(again).toBe(first);
    expect(fresh).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh).not.toBe(first);
    expect(browser.cspViolations).toEqual([]);
  });
});
