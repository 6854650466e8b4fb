import {
  AppProcess,
  ensureMongoUri,
  OpenApiChecker,
  RecordingUpstream,
  startApp,
  workspaceRoot,
} from '@gatehouse/shared/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Browser, launchChromium } from './support/browser.test-helper';

const SCREENSHOT = join(workspaceRoot(), 'docs', 'console.png');
const WAIT = { timeout: 60_000 };

async function numberIn(page: Page, selector: string): Promise<number> {
  const text = await page.locator(selector).innerText();
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`${selector} shows "${text}"`);
  return value;
}

// Clicks "Queue scan" and returns the new scan's id. The result line still shows the previous
// scan until ingest has accepted this one, so wait for an id other than the one shown before.
async function queueFromForm(page: Page): Promise<string> {
  const before = await page
    .locator('#scan-result')
    .getAttribute('data-scan-id');
  await page.locator('#scan-submit').click();
  const result = page.locator(
    before === null
      ? '#scan-result[data-scan-id]'
      : `#scan-result[data-scan-id]:not([data-scan-id="${before}"])`,
  );
  await result.waitFor(WAIT);
  return String(await result.getAttribute('data-scan-id'));
}

// O-1: the console in a real headless Chromium, against real apps on real sockets.
describe('operator console (O-1) in a browser', () => {
  let db: { uri: string; stop(): Promise<void> };
  const apps: Record<string, AppProcess> = {};
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    db = await ensureMongoUri();
    const url = new URL(db.uri);
    url.pathname = `/e2e_console_${randomUUID().slice(0, 8)}`;
    // S-15: the http scan below scans the console itself, on loopback.
    const mongo = { MONGODB_URI: url.toString(), SCAN_ALLOW: '127.0.0.1' };
    apps['backend'] = await startApp('backend');
    [apps['gateway'], apps['ingest'], apps['status'], apps['processor']] =
      await Promise.all([
        startApp('gateway', {
          env: {
            BACKEND_URL: apps['backend'].url,
            DUPLICATE_DELAY_MS: '0',
            UPSTREAM_ERROR_LOG: '/dev/null',
          },
          readyPath: '/_gateway/health/ready',
        }),
        startApp('ingest', { env: mongo }),
        startApp('status', { env: mongo }),
        startApp('processor', {
          env: {
            ...mongo,
            FAILURE_RATE: '0',
            MIN_WORK_MS: '200',
            MAX_WORK_MS: '600',
            WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
            WEBHOOK_RETRY_BASE_MS: '200',
            WEBHOOK_RETRY_MAX_MS: '400',
          },
        }),
      ]);
    apps['console'] = await startApp('console', {
      env: {
        GATEWAY_URL: apps['gateway'].url,
        INGEST_URL: apps['ingest'].url,
        STATUS_URL: apps['status'].url,
      },
    });
    browser = await launchChromium();
    page = browser.page;
    await page.goto(apps['console'].url, WAIT);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(Object.values(apps).map((app) => app.stop('SIGKILL')));
    await db?.stop();
  });

  it('shows gateway counts, rates, latency, top paths and health that move with traffic', async () => {
    await page.waitForFunction(
      () =>
        /^\d+$/.test(
          document.getElementById('gw-processed')?.textContent ?? '',
        ),
      undefined,
      WAIT,
    );
    const before = await numberIn(page, '#gw-processed');
    const gateway = apps['gateway'].url;
    for (let i = 0; i < 12; i++) {
      const response = await fetch(`${gateway}/api/console-hot?i=${i}`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const blocked = await fetch(`${gateway}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"is_malicious": true}',
    });
    expect(blocked.status).toBe(401);
    await blocked.arrayBuffer();

    await page.waitForFunction(
      (target) =>
        Number(document.getElementById('gw-processed')?.textContent) >= target,
      before + 13,
      WAIT,
    );
    expect(
      await numberIn(page, '#gw-decisions tr[data-decision="blocked"] .count'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await numberIn(
        page,
        '#gw-decisions tr[data-decision="forwarded"] .count',
      ),
    ).toBeGreaterThanOrEqual(12);
    await page
      .locator('#gw-paths tr', { hasText: '/api/console-hot' })
      .first()
      .waitFor(WAIT);
    await page.waitForFunction(
      () => /^\d/.test(document.getElementById('gw-p99')?.textContent ?? ''),
      undefined,
      WAIT,
    );
    expect(await page.locator('#gw-ready').innerText()).toBe('ready');
    expect(
      await page.locator('#gw-checks tr[data-check="upstream"]').innerText(),
    ).toContain('up');
    expect(await page.locator('#gw-uptime').innerText()).toMatch(
      /\d+m \d+s|\d+h/,
    );
    expect(await page.locator('#gateway-error').isVisible()).toBe(false);
  });

  it('queues a scan from the form and shows it reach Complete with its attempt history', async () => {
    await page.locator('#scan-target').fill('console-e2e.example');
    const scanId = await queueFromForm(page);
    expect(scanId).toMatch(/^[0-9a-f-]{36}$/);
    await page
      .locator('#scan-detail-id', { hasText: String(scanId) })
      .waitFor(WAIT);
    await page
      .locator('#scan-detail-status', { hasText: 'Complete' })
      .waitFor(WAIT);
    await page
      .locator('#scan-attempts tr[data-kind="claim"]')
      .first()
      .waitFor(WAIT);
    await page
      .locator('#scan-attempts tr[data-kind="end"]')
      .first()
      .waitFor(WAIT);
    expect(await page.locator('#scan-attempts').innerText()).toContain(
      'Complete',
    );
    await page.locator(`#scan-list tr[data-scan-id="${scanId}"]`).waitFor(WAIT);
    await page.waitForFunction(
      () =>
        Number(
          document.querySelector('#scan-summary [data-status="Complete"] b')
            ?.textContent,
        ) >= 1,
      undefined,
      WAIT,
    );
    mkdirSync(join(workspaceRoot(), 'docs'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('O-1 S-14: queues an http scan and shows its findings, most severe first, with its HTTP facts', async () => {
    await page.locator('#scan-target').fill(`${apps['console'].url}/`);
    await page.locator('#scan-kind').selectOption('http');
    const scanId = await queueFromForm(page);
    await page
      .locator('#scan-detail-id', { hasText: String(scanId) })
      .waitFor(WAIT);
    await page
      .locator('#scan-detail-status', { hasText: 'Complete' })
      .waitFor(WAIT);
    await page
      .locator('#scan-findings tr[data-check="http.no-https-redirect"]')
      .waitFor(WAIT);
    // The console sends CSP with frame-ancestors, nosniff and Referrer-Policy (O-1).
    const checks = await page
      .locator('#scan-findings tr')
      .evaluateAll((rows) =>
        rows.map((r) => (r as HTMLElement).dataset['check']),
      );
    expect(checks).not.toContain('headers.csp.missing');
    expect(checks).not.toContain('headers.frame-protection.missing');
    expect(checks).not.toContain('headers.hsts.missing');
    const severities = await page
      .locator('#scan-findings tr td:first-child')
      .allInnerTexts();
    const order = ['info', 'low', 'medium', 'high', 'critical'];
    const ranks = severities.map((s) => order.indexOf(s.trim()));
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(await page.locator('#scan-facts').innerText()).toContain(
      `200 ${apps['console'].url}/`,
    );
    await page.locator('#scan-kind').selectOption('simulated');
  });

  it('pages the scan list with the cursor and filters it by status', async () => {
    for (let i = 0; i < 12; i++) {
      const response = await fetch(`${apps['ingest'].url}/scans`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ target: `page-${i}.example` }),
      });
      expect(response.status).toBe(202);
      await response.arrayBuffer();
    }
    const next = page.locator('#scans-next');
    await page.waitForFunction(
      () =>
        !(document.getElementById('scans-next') as HTMLButtonElement).disabled,
      undefined,
      WAIT,
    );
    const firstPage = await page
      .locator('#scan-list tr')
      .evaluateAll((rows) =>
        rows.map((r) => (r as HTMLElement).dataset['scanId']),
      );
    await next.click();
    await page.locator('#scans-page', { hasText: 'page 2' }).waitFor(WAIT);
    await page.waitForFunction(
      (ids) =>
        [...document.querySelectorAll<HTMLElement>('#scan-list tr')].some(
          (row) => !ids.includes(row.dataset['scanId']),
        ),
      firstPage,
      WAIT,
    );
    await page.locator('#scans-first').click();
    await page.locator('#scans-page', { hasText: 'page 1' }).waitFor(WAIT);

    await page.locator('#scan-filter').selectOption('Complete');
    await page.waitForFunction(
      () => {
        const statuses = [
          ...document.querySelectorAll('#scan-list tr td:nth-child(3)'),
        ].map((cell) => cell.textContent);
        return statuses.length > 0 && statuses.every((s) => s === 'Complete');
      },
      undefined,
      WAIT,
    );
    await page.locator('#scan-filter').selectOption('');
  });

  it('S-18: finds scans by the start of their target', async () => {
    await page.locator('#scan-search').fill('page-1');
    await page.waitForFunction(
      () => {
        const targets = [
          ...document.querySelectorAll('#scan-list tr td:nth-child(2)'),
        ].map((cell) => cell.textContent ?? '');
        return (
          targets.length > 0 && targets.every((t) => t.startsWith('page-1'))
        );
      },
      undefined,
      WAIT,
    );
    const targets = await page
      .locator('#scan-list tr td:nth-child(2)')
      .allInnerTexts();
    // page-1, page-10 and page-11, newest first.
    expect(targets).toEqual([
      'page-11.example',
      'page-10.example',
      'page-1.example',
    ]);
    await page.locator('#scan-search').fill('');
  });

  it('O-1 S-17: cancels a running scan and retries it from the scan view', async () => {
    // Accepts and never answers: the http scan stays Running until it is cancelled.
    const tarpit = createServer(() => undefined);
    tarpit.listen(0, '127.0.0.1');
    await once(tarpit, 'listening');
    const { port } = tarpit.address() as AddressInfo;
    try {
      await page.locator('#scan-target').fill(`http://127.0.0.1:${port}/`);
      await page.locator('#scan-kind').selectOption('http');
      await page.locator('#scan-submit').click();
      await page.locator('#scan-result', { hasText: 'Queued' }).waitFor(WAIT);
      const status = page.locator('#scan-detail-status');
      await page
        .locator('#scan-detail-status', { hasText: 'Running' })
        .waitFor(WAIT);
      expect(await page.locator('#scan-retry').isDisabled()).toBe(true);
      await page.locator('#scan-cancel:not([disabled])').click();
      await page
        .locator('#scan-detail-status', { hasText: 'Cancelled' })
        .waitFor(WAIT);
      await page.locator('#scan-attempts tr[data-kind="cancel"]').waitFor(WAIT);
      expect(await page.locator('#scan-cancel').isDisabled()).toBe(true);
      await page.locator('#scan-retry:not([disabled])').click();
      await page.locator('#scan-attempts tr[data-kind="retry"]').waitFor(WAIT);
      expect(await status.innerText()).toMatch(/Accepted|Running/);
      // Cancelled again, so that it holds no worker for the tests after this one.
      await page.locator('#scan-cancel:not([disabled])').click();
      await page
        .locator('#scan-detail-status', { hasText: 'Cancelled' })
        .waitFor(WAIT);
    } finally {
      tarpit.closeAllConnections();
      tarpit.close();
      await page.locator('#scan-kind').selectOption('simulated');
    }
  });

  it('O-1 S-19: queues a scan with a callback URL and shows each webhook try in its history', async () => {
    // Answers 500 to the first try and 200 to the next, as a receiver that was briefly down.
    const receiver = new RecordingUpstream();
    receiver.respond((_req, res) => {
      res.statusCode = receiver.requests.length === 1 ? 500 : 200;
      res.end();
    });
    const url = await receiver.listen();
    try {
      await page.locator('#scan-target').fill('hooked.example');
      await page.locator('#scan-callback').fill(`${url}/hook`);
      const scanId = await queueFromForm(page);
      const deliveries = page.locator(
        '#scan-attempts tr[data-kind="delivery"]',
      );
      await page
        .locator('#scan-attempts tr[data-kind="delivery"]', {
          hasText: 'webhook delivered (HTTP 200)',
        })
        .waitFor(WAIT);
      expect(await deliveries.count()).toBe(2);
      expect(await deliveries.first().innerText()).toMatch(
        /webhook failed \(HTTP 500\).*next try at/,
      );
      expect(receiver.requests).toHaveLength(2);
      expect(JSON.parse(receiver.requests[1].body.toString())).toMatchObject({
        scanId,
        status: 'Complete',
      });
    } finally {
      await receiver.close();
      await page.locator('#scan-callback').fill('');
    }
  });

  it('its own API matches its OpenAPI document, errors included (O-2)', async () => {
    const base = apps['console'].url;
    const doc = await OpenApiChecker.load(`${base}/openapi.json`);
    const docsPage = await fetch(`${base}/docs`);
    expect(docsPage.status).toBe(200);
    await docsPage.arrayBuffer();
    const post = (body: string, type = 'application/json') =>
      doc.fetchChecked(`${base}/api/scans`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
    await doc.fetchChecked(`${base}/health/live`);
    await doc.fetchChecked(`${base}/api/apps`);
    await doc.fetchChecked(`${base}/api/gateway`);
    await doc.fetchChecked(`${base}/api/gateway/paths?limit=2&offset=0`);
    expect(
      (await doc.fetchChecked(`${base}/api/gateway/paths?limit=0`)).status,
    ).toBe(400);
    expect(
      (await doc.fetchChecked(`${base}/api/gateway/paths?x=1`)).status,
    ).toBe(400);
    await doc.fetchChecked(`${base}/api/scans/summary`);
    const list = (
      await doc.fetchChecked(`${base}/api/scans?limit=2`)
    ).json() as {
      items: { scanId: string }[];
    };
    expect(
      (await doc.fetchChecked(`${base}/api/scans?status=Done`)).status,
    ).toBe(400);
    expect(
      (await doc.fetchChecked(`${base}/api/scans/${list.items[0].scanId}`))
        .status,
    ).toBe(200);
    expect((await doc.fetchChecked(`${base}/api/scans/nope`)).status).toBe(400);
    // Status's own 404 fields ("scanStatus", its detail) stay behind: status and title only.
    const missing = await doc.fetchChecked(`${base}/api/scans/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ title: 'Not Found', app: 'status' });
    expect(missing.json()).not.toHaveProperty('scanStatus');
    // S-17: status's 400 and 404 pass on; so does its 409, tried in the browser above.
    expect(
      (
        await doc.fetchChecked(`${base}/api/scans/nope/cancel`, {
          method: 'POST',
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await doc.fetchChecked(`${base}/api/scans/${randomUUID()}/retry`, {
          method: 'POST',
        })
      ).status,
    ).toBe(404);
    expect((await post('{"target": "api.example"}')).status).toBe(202);
    expect((await post('{"target": 5}')).status).toBe(400);
    expect((await post('[1]')).status).toBe(400);
    expect((await post('{oops')).status).toBe(400);
    expect((await post('target=x', 'text/plain')).status).toBe(415);
    expect(
      (await post(JSON.stringify({ target: 'x'.repeat(20_000) }))).status,
    ).toBe(413);
    expect(doc.unexercised()).toEqual([]);
  });

  it('O-2: passes scans and paths on with the very schemas status and the gateway document', async () => {
    const schemas = async (url: string) => {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const doc = (await response.json()) as {
        components: { schemas: Record<string, unknown> };
      };
      return doc.components.schemas;
    };
    const [consoleSchemas, statusSchemas, gatewaySchemas] = await Promise.all([
      schemas(`${apps['console'].url}/openapi.json`),
      schemas(`${apps['status'].url}/openapi.json`),
      schemas(`${apps['gateway'].url}/_gateway/openapi.json`),
    ]);
    for (const name of ['ScanView', 'ScanList', 'ScanSummary', 'ScanAttempt'])
      expect({ name, schema: consoleSchemas[name] }).toEqual({
        name,
        schema: statusSchemas[name],
      });
    expect(consoleSchemas['PathPage']).toEqual(gatewaySchemas['PathPage']);
    expect(consoleSchemas['ScanView']).toMatchObject({
      properties: {
        scanId: { format: 'uuid' },
        status: { enum: expect.any(Array) },
      },
    });
  });

  it('O-1: the page ran the tests above under its CSP with no violation', async () => {
    const served = await page.goto(apps['console'].url, WAIT);
    expect(served?.headers()['content-security-policy']).toContain(
      "frame-ancestors 'none'",
    );
    await page.locator('#scan-list tr').first().waitFor(WAIT);
    expect(browser.cspViolations).toEqual([]);
  });

  it('says which app is down when status stops, and keeps the gateway panel live', async () => {
    await apps['status'].stop();
    await page
      .locator('#scans-error', { hasText: 'status is down' })
      .waitFor(WAIT);
    await page
      .locator('#app-status', { hasText: 'status: down' })
      .waitFor(WAIT);
    expect(await page.locator('#app-gateway').innerText()).toBe('gateway: up');
    expect(await page.locator('#gateway-error').isVisible()).toBe(false);

    const before = await numberIn(page, '#gw-processed');
    for (let i = 0; i < 3; i++) {
      const response = await fetch(
        `${apps['gateway'].url}/after-status-stopped`,
      );
      await response.arrayBuffer();
    }
    await page.waitForFunction(
      (target) =>
        Number(document.getElementById('gw-processed')?.textContent) >= target,
      before + 3,
      WAIT,
    );

    // The console API names the missing app in a described 502.
    const doc = await OpenApiChecker.load(
      `${apps['console'].url}/openapi.json`,
    );
    const down = await doc.fetchChecked(
      `${apps['console'].url}/api/scans/summary`,
    );
    expect(down.status).toBe(502);
    expect(down.json()).toMatchObject({ app: 'status', status: 502 });
  });
});
