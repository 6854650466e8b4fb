import { AppProcess, ensureMongoUri, LogLine } from '@gatehouse/shared/testing';
import type {
  ScanAttemptListResponse,
  ScanAttemptView,
  ScanView,
} from '@gatehouse/shared/contracts';
import { ScanStatus } from '@gatehouse/shared/contracts';
import { randomBytes } from 'node:crypto';
import {
  createServer,
  IncomingHttpHeaders,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import mongoose from 'mongoose';
import { Webhook } from 'standardwebhooks';
import {
  databaseUri,
  eventuallyScan,
  getScan,
  postScan,
  request,
  startApp,
  stopAll,
} from './support/scans-e2e.helpers';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

// A webhook receiver on loopback: `answer` decides each delivery's fate, by its number from 1.
class Receiver {
  readonly received: Received[] = [];
  private server!: Server;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly answer: (
      n: number,
      res: ServerResponse,
      req: IncomingMessage,
    ) => void,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        this.waiters.splice(0).forEach((wake) => wake());
        this.answer(this.received.length, res, req);
      });
    });
    await new Promise<void>((resolve) =>
      this.server.listen(0, '127.0.0.1', resolve),
    );
    return this;
  }

  // Resolves once `count` deliveries have arrived.
  async until(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline)
        throw new Error(
          `the receiver got ${this.received.length} of ${count} deliveries within ${timeoutMs} ms`,
        );
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const verify = (delivery: Received) =>
  new Webhook(SECRET).verify(delivery.body, {
    'webhook-id': String(delivery.headers['webhook-id']),
    'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
    'webhook-signature': String(delivery.headers['webhook-signature']),
  });

// S-19: signed completion webhooks, delivered at least once through real processes
// (ingest → processor → a receiver on loopback), with the tries in the scan's history.
describe('signed completion webhooks (S-19)', () => {
  let db: { uri: string; stop(): Promise<void> };
  let mongoUri: string;
  let ingest: AppProcess;
  let status: AppProcess;
  const workers: AppProcess[] = [];
  const receivers: Receiver[] = [];

  const processor = async (env: Record<string, string> = {}) => {
    const worker = await startApp('processor', {
      env: {
        MONGODB_URI: mongoUri,
        LOG_LEVEL: 'info',
        SCAN_ALLOW: '127.0.0.1',
        FAILURE_RATE: '0',
        MIN_WORK_MS: '0',
        MAX_WORK_MS: '50',
        POLL_MIN_MS: '20',
        POLL_MAX_MS: '100',
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_TIMEOUT_MS: '1000',
        WEBHOOK_RETRY_BASE_MS: '300',
        WEBHOOK_RETRY_MAX_MS: '600',
        ...env,
      },
    });
    workers.push(worker);
    return worker;
  };

  const receiver = async (
    answer: ConstructorParameters<typeof Receiver>[0],
  ) => {
    const started = await new Receiver(answer).start();
    receivers.push(started);
    return started;
  };

  const deliveries = async (id: string): Promise<ScanAttemptView[]> =>
    (
      await request<ScanAttemptListResponse>(
        `${status.url}/scans/${id}/attempts`,
      )
    ).body.items.filter((entry) => entry.kind === 'delivery');

  const failedTry = (worker: AppProcess, id: string, attempt: number) =>
    worker.waitForLog(
      (line: LogLine) =>
        line['event'] === 'scan.webhook.failed' &&
        line['scanId'] === id &&
        line['attempt'] === attempt,
      15_000,
      `webhook try ${attempt} of scan ${id} failing`,
    );

  beforeAll(async () => {
    db = await ensureMongoUri();
    mongoUri = databaseUri(db.uri, 'e2e_webhooks');
    [ingest, status] = await Promise.all([
      startApp('ingest', {
        env: { MONGODB_URI: mongoUri, SCAN_ALLOW: '127.0.0.1' },
      }),
      startApp('status', { env: { MONGODB_URI: mongoUri } }),
    ]);
  }, 240_000);

  afterEach(async () => {
    await stopAll(workers.splice(0));
    await Promise.all(receivers.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await stopAll([ingest, status, ...workers]);
    await db?.stop();
  });

  it('S-19: a callback answering 500 twice then 200 gets the signed scan three times, across a processor killed between tries', async () => {
    const hook = await receiver((n, res) => {
      res.statusCode = n <= 2 ? 500 : 200;
      res.end(n <= 2 ? 'not now' : 'ok');
    });
    // The first processor's back-off is long, so its try 2 cannot come before the kill below
    // (full jitter may draw a wait of a few ms); the test then ends that wait by hand.
    const first = await processor({
      WEBHOOK_RETRY_BASE_MS: '600000',
      WEBHOOK_RETRY_MAX_MS: '600000',
    });
    const created = await postScan(ingest, {
      target: 'example.com',
      callbackUrl: `${hook.url}/hooks/scans?token=abc`,
    });
    expect(created.status).toBe(202);
    const id = String(created.body['scanId']);
    expect((await getScan(status, id)).callbackUrl).toBe(
      `${hook.url}/hooks/scans?token=abc`,
    );

    await failedTry(first, id, 1);
    await first.stop('SIGKILL');
    const connection = await mongoose.createConnection(mongoUri).asPromise();
    try {
      const due = await connection
        .collection('scan_webhooks')
        .updateOne({ scanId: id }, { $set: { nextAttemptAt: new Date() } });
      expect(due.matchedCount).toBe(1);
    } finally {
      await connection.close();
    }
    const second = await processor();
    await hook.until(3, 20_000);

    // Every try is the same webhook, signed with WEBHOOK_SECRET, carrying the scan as status
    // shows it.
    const scan = await getScan(status, id);
    expect(scan.status).toBe(ScanStatus.Complete);
    const ids = new Set(hook.received.map((d) => d.headers['webhook-id']));
    expect(ids.size).toBe(1);
    for (const delivery of hook.received) {
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(verify(delivery)).toMatchObject({
        scanId: id,
        status: ScanStatus.Complete,
      });
    }
    const body = JSON.parse(hook.received[2].body) as ScanView;
    expect(body).toEqual({ ...scan, updatedAt: body.updatedAt });
    // A tampered body fails verification.
    expect(() =>
      verify({ ...hook.received[2], body: hook.received[2].body + ' ' }),
    ).toThrow();

    await second.waitForLog(
      (line: LogLine) =>
        line['event'] === 'scan.webhook.delivered' && line['scanId'] === id,
      10_000,
      'the delivery logged',
    );
    const tries = await deliveries(id);
    expect(tries).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: 'failed',
        httpStatus: 500,
        error: 'callback answered 500',
      }),
      expect.objectContaining({
        attempt: 2,
        status: 'failed',
        httpStatus: 500,
      }),
      expect.objectContaining({
        attempt: 3,
        status: 'delivered',
        httpStatus: 200,
        error: null,
      }),
    ]);
    expect(tries[0].workerId).not.toBe(tries[1].workerId);
    // Nothing is left to deliver: a later processor sends nothing more.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(hook.received).toHaveLength(3);
  }, 90_000);

  it('S-19: a processor killed while the callback holds a try open leaves it to another, which sends it again', async () => {
    const hook = await receiver((n, res) => {
      // The first try is never answered; the processor making it is killed meanwhile.
      if (n === 1) return;
      res.statusCode = 204;
      res.end();
    });
    const first = await processor();
    const created = await postScan(ingest, {
      target: 'example.com',
      callbackUrl: `${hook.url}/held`,
    });
    const id = String(created.body['scanId']);
    await hook.until(1, 15_000);
    await first.stop('SIGKILL');
    await processor();
    await hook.until(2, 20_000);
    expect(hook.received[1].headers['webhook-id']).toBe(
      hook.received[0].headers['webhook-id'],
    );
    await eventuallyDelivered(id);
    const tries = await deliveries(id);
    expect(tries).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: 'failed',
        error: expect.stringContaining('stopped'),
      }),
      expect.objectContaining({
        attempt: 2,
        status: 'delivered',
        httpStatus: 204,
      }),
    ]);
  }, 90_000);

  it('S-19: a callback that never answers 2xx is tried WEBHOOK_MAX_ATTEMPTS times, then given up, and a Failed or Cancelled scan is posted too', async () => {
    const hook = await receiver((_n, res) => {
      res.statusCode = 503;
      res.end();
    });
    // Cancelled while no processor runs: its webhook waits in the database for one.
    const queued = await postScan(ingest, {
      target: 'example.com',
      callbackUrl: `${hook.url}/cancelled`,
    });
    const cancelledId = String(queued.body['scanId']);
    const cancel = await request(`${status.url}/scans/${cancelledId}/cancel`, {
      method: 'POST',
    });
    expect(cancel.status).toBe(200);
    await processor({ WEBHOOK_MAX_ATTEMPTS: '2', FAILURE_RATE: '1' });
    await hook.until(2, 20_000);
    expect(hook.received.map((d) => JSON.parse(d.body) as ScanView)).toEqual([
      expect.objectContaining({
        scanId: cancelledId,
        status: ScanStatus.Cancelled,
      }),
      expect.objectContaining({
        scanId: cancelledId,
        status: ScanStatus.Cancelled,
      }),
    ]);
    hook.received.splice(0);
    const failed = await postScan(ingest, {
      target: 'example.com',
      callbackUrl: `${hook.url}/failed`,
    });
    const id = String(failed.body['scanId']);
    await hook.until(2, 20_000);
    const scan = await eventuallyScan(
      status,
      id,
      (s) => s.status === ScanStatus.Failed,
      10_000,
    );
    expect(JSON.parse(hook.received[0].body)).toMatchObject({
      scanId: id,
      status: ScanStatus.Failed,
      error: scan.error,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(hook.received).toHaveLength(2);
    expect((await deliveries(id)).map((d) => d.status)).toEqual([
      'failed',
      'failed',
    ]);
  }, 60_000);

  it('S-19: without WEBHOOK_SECRET nothing unsigned is sent, and the history says why', async () => {
    const hook = await receiver((_n, res) => res.end());
    await processor({ WEBHOOK_SECRET: '', WEBHOOK_MAX_ATTEMPTS: '1' });
    const created = await postScan(ingest, {
      target: 'example.com',
      callbackUrl: `${hook.url}/unsigned`,
    });
    const id = String(created.body['scanId']);
    await eventuallyScan(
      status,
      id,
      (s) => s.status === ScanStatus.Complete,
      10_000,
    );
    const tries = await eventuallyTries(id, 1);
    expect(tries[0]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('WEBHOOK_SECRET'),
    });
    expect(hook.received).toHaveLength(0);
  }, 60_000);

  it('S-19, S-15: ingest refuses a callbackUrl that is out of scope or not an http(s) URL, with problem+json 400', async () => {
    const cases: [unknown, string][] = [
      ['http://10.0.0.7/hook', 'callback-out-of-scope'],
      ['http://169.254.169.254/latest/meta-data', 'callback-out-of-scope'],
      ['http://[::1]:9/hook', 'callback-out-of-scope'],
      ['ftp://example.com/hook', 'invalid-request'],
      ['https://user:pass@example.com/hook', 'invalid-request'],
      ['/relative', 'invalid-request'],
      [42, 'invalid-request'],
      [`https://example.com/${'a'.repeat(3000)}`, 'invalid-request'],
    ];
    for (const [callbackUrl, type] of cases) {
      const response = await postScan(ingest, {
        target: 'example.com',
        callbackUrl,
      });
      expect({ callbackUrl, status: response.status }).toEqual({
        callbackUrl,
        status: 400,
      });
      expect(response.headers.get('content-type')).toContain(
        'application/problem+json',
      );
      expect(String(response.body['type'])).toContain(type);
    }
  });

  it('S-19: the processor refuses a callback whose name resolves into a private range, once, with no retry', async () => {
    const hook = await receiver((_n, res) => res.end());
    const port = new URL(hook.url).port;
    await processor({
      SCAN_ALLOW: '',
      SCAN_RESOLVE: 'hooks.example.test=127.0.0.1',
    });
    const created = await postScan(ingest, {
      target: 'example.com',
      callbackUrl: `http://hooks.example.test:${port}/hook`,
    });
    expect(created.status).toBe(202);
    const id = String(created.body['scanId']);
    const tries = await eventuallyTries(id, 1);
    expect(tries[0]).toMatchObject({
      status: 'failed',
      httpStatus: null,
      nextAttemptAt: null,
      error: expect.stringContaining('out of scope'),
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await deliveries(id)).toHaveLength(1);
    expect(hook.received).toHaveLength(0);
  }, 60_000);

  async function eventuallyTries(
    id: string,
    count: number,
  ): Promise<ScanAttemptView[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const tries = (await deliveries(id)).filter((d) => d.status !== null);
      if (tries.length >= count) return tries;
      if (Date.now() > deadline)
        throw new Error(`scan ${id}: ${tries.length} of ${count} tries seen`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function eventuallyDelivered(id: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (!(await deliveries(id)).some((d) => d.status === 'delivered')) {
      if (Date.now() > deadline)
        throw new Error(`scan ${id}: no delivered try in its history`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
});
