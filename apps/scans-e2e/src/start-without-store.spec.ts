import {
  AppProcess,
  freePort,
  LogLine,
  startTestDb,
  TestDb,
} from '@gatehouse/shared/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  postScan,
  request,
  startApp,
  stopAll,
} from './support/scans-e2e.helpers';

// S-3: ingest, status and processor start and listen with MongoDB down, report not-ready,
// answer 503, and recover by themselves once it comes up: no restart, no crash loop.
// This suite always uses its own test database, which it starts late on purpose.
describe('S-3: the scan apps start before their database', () => {
  let port: number;
  let dataDir: string;
  let testDb: TestDb | undefined;
  let apps: AppProcess[] = [];
  let ingest: AppProcess;
  let status: AppProcess;
  let processor: AppProcess;

  beforeAll(async () => {
    port = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-late-db-'));
    const env = {
      MONGODB_URI: `mongodb://127.0.0.1:${port}/late_start`,
      MIN_WORK_MS: '0',
      MAX_WORK_MS: '0',
      FAILURE_RATE: '0',
    };
    const started = Date.now();
    // startApp resolves once /health/live answers: the app is listening.
    apps = await Promise.all(
      ['ingest', 'status', 'processor'].map((app) =>
        startApp(app, { env, timeoutMs: 10_000, readyPath: '/health/live' }),
      ),
    );
    [ingest, status, processor] = apps;
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 60_000);

  afterAll(async () => {
    await stopAll(apps);
    await testDb?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('listens, reports not-ready with a reason, and answers 503 problem+json', async () => {
    for (const app of apps) {
      const ready = await request(`${app.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get('content-type')).toContain(
        'application/problem+json',
      );
      expect(ready.body).toMatchObject({
        status: 503,
        checks: { mongodb: 'down' },
      });
      expect(String(ready.body['detail'])).toMatch(
        /mongodb unavailable \(.+\)/,
      );
      expect(ready.text).not.toMatch(/127\.0\.0\.1|localhost/);
    }

    const scan = await postScan(ingest, { target: 'early.example' });
    expect(scan.status).toBe(503);
    expect(scan.headers.get('content-type')).toContain(
      'application/problem+json',
    );
    expect(Number(scan.headers.get('retry-after'))).toBeGreaterThan(0);

    const list = await request(`${status.url}/scans`);
    expect(list.status).toBe(503);
    expect(list.headers.get('content-type')).toContain(
      'application/problem+json',
    );
    expect(processor.running).toBe(true);
  });

  it('recovers without a restart once the database comes up: 202 within 15 s', async () => {
    // Let the apps sit through a few reconnect attempts first: one outage line each, not one per try.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    testDb = await startTestDb({ port, dataDir });
    const up = Date.now();
    let scan = await postScan(ingest, { target: 'late.example' });
    while (scan.status === 503 && Date.now() - up < 15_000) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      scan = await postScan(ingest, { target: 'late.example' });
    }
    expect(scan.status).toBe(202);
    const scanId = String(scan.body['scanId']);

    for (const app of apps) {
      let ready = await request(`${app.url}/health/ready`);
      while (ready.status !== 200 && Date.now() - up < 15_000) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        ready = await request(`${app.url}/health/ready`);
      }
      expect(ready.status).toBe(200);
    }

    // The processor, started before the database, runs the scan to the end.
    let view = await request(`${status.url}/scans/${scanId}`);
    while (view.body['status'] !== 'Complete' && Date.now() - up < 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      view = await request(`${status.url}/scans/${scanId}`);
    }
    expect(view.body['status']).toBe('Complete');
  }, 60_000);

  it('logged only JSON lines, with one outage line and one recovery line per app', () => {
    for (const app of apps) {
      expect(app.running).toBe(true);
      const unstructured = app.logs.filter((line) => 'unstructured' in line);
      expect(unstructured).toEqual([]);
      const events = (name: string) =>
        app.logs.filter((line: LogLine) => line['event'] === name);
      expect(events('store.down')).toHaveLength(1);
      expect(events('store.up')).toHaveLength(1);
      expect(events('store.up')[0]).toMatchObject({ recovered: true });
    }
  });
});
