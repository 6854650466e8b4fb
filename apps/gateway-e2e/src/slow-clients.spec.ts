import { eventually } from '@gatehouse/shared/testing';
import { connect, Socket } from 'node:net';
import { Agent, request } from 'undici';
import {
  GatewayUnderTest,
  rawRequest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';

// Opens a connection and sends a POST whose body never completes: 1 byte of a declared 100.
function slowBody(port: number, client: string, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: ${client}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
        () => resolve(socket),
      );
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

async function gauge(sut: GatewayUnderTest, name: string): Promise<number> {
  const text = await (await fetch(`${sut.gateway.url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return match === null ? NaN : Number(match[1]);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)];
}

async function openSockets(
  count: number,
  open: (i: number) => Promise<Socket>,
): Promise<Socket[]> {
  const sockets: Socket[] = [];
  // In batches, so that the machine's accept queue is never the bottleneck.
  for (let i = 0; i < count; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, (_, j) => open(i + j)),
    );
    sockets.push(...batch);
  }
  return sockets;
}

describe('G-6 slow or held clients never take the upstream slots', () => {
  let sut: GatewayUnderTest;

  beforeAll(async () => {
    sut = await startGatewayWithRecorder({
      // Each flood connection is a client of its own, as behind a load balancer.
      TRUST_PROXY: '1',
      MAX_IN_FLIGHT: '50',
      // The flood's bodies stay pending for the whole measurement.
      BODY_TIMEOUT_MS: '25000',
      DUPLICATE_DELAY_MS: '3000',
    });
  });
  afterAll(() => sut?.stop());

  // 200 sequential GETs from one client over 4 keep-alive connections.
  async function sample(label: string): Promise<number[]> {
    const agent = new Agent({ connections: 4 });
    const latencies: number[] = [];
    const statuses: number[] = [];
    try {
      for (let i = 0; i < 200; i++) {
        const started = performance.now();
        const response = await request(`${sut.gateway.url}/${label}/${i}`, {
          dispatcher: agent,
          headers: { 'x-forwarded-for': '192.0.2.10' },
        });
        await response.body.text();
        latencies.push(performance.now() - started);
        statuses.push(response.statusCode);
      }
    } finally {
      await agent.close();
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const sorted = [...latencies].sort((a, b) => a - b);
    // A figure for the record, not an assertion: timings belong in benchmarks.
    process.stdout.write(
      `${label}: another client's 200 GETs p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms\n`,
    );
    return sorted;
  }

  it('serves another client while 1000 connections trickle their bodies', async () => {
    await sample('no-flood');
    const flood = await openSockets(1000, (i) =>
      slowBody(
        sut.gateway.port,
        `10.${(i >> 8) & 255}.${i & 255}.7`,
        `/flood/${i}`,
      ),
    );
    try {
      await eventually(
        async () =>
          (await gauge(sut, 'gateway_pending_bodies')) === 1000 || undefined,
        20_000,
        'all 1000 slow bodies pending at the gateway',
      );
      await sample('slow-body-flood');
      expect(await gauge(sut, 'gateway_in_flight')).toBe(0);
      expect(
        sut.upstream.requests.some((r) => r.url.startsWith('/flood/')),
      ).toBe(false);
    } finally {
      for (const socket of flood) socket.destroy();
    }
    await eventually(
      async () =>
        (await gauge(sut, 'gateway_pending_bodies')) === 0 || undefined,
      20_000,
      'the flood to drain',
    );
  }, 120_000);

  it('takes no slot for held replays: other clients pass while 45 are held', async () => {
    // 45 held and 20 others exceed MAX_IN_FLIGHT (50) together, but not each on its own.
    const replays = Array.from({ length: 45 }, () =>
      request(`${sut.gateway.url}/replayed`, {
        headers: { 'x-forwarded-for': '192.0.2.20' },
      }).then(async (response) => {
        await response.body.text();
        return response.statusCode;
      }),
    );
    await eventually(
      () =>
        sut.upstream.requests.some((r) => r.url === '/replayed') || undefined,
      10_000,
      'the first of the identical requests to go through',
    );
    const others = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request(`${sut.gateway.url}/bystander/${i}`, {
          headers: { 'x-forwarded-for': `192.0.2.${100 + i}` },
        }).then(async (response) => {
          await response.body.text();
          return response.statusCode;
        }),
      ),
    );
    expect(others.every((status) => status === 200)).toBe(true);
    const replayStatuses = await Promise.all(replays);
    expect(replayStatuses.every((status) => status === 200)).toBe(true);
    // The bystanders were answered while the replays were still held.
    const lastBystander = Math.max(
      ...sut.upstream.requests
        .filter((r) => r.url.startsWith('/bystander/'))
        .map((r) => r.receivedAt),
    );
    const secondReplay = sut.upstream.requests
      .filter((r) => r.url === '/replayed')
      .map((r) => r.receivedAt)
      .sort((a, b) => a - b)[1];
    expect(lastBystander).toBeLessThan(secondReplay);
  }, 60_000);
});

describe('G-6 slow clients are bounded on their own', () => {
  let sut: GatewayUnderTest;

  beforeAll(async () => {
    sut = await startGatewayWithRecorder({
      BODY_TIMEOUT_MS: '5000',
      MAX_PENDING_BODIES: '4',
      DUPLICATE_DELAY_MS: '0',
    });
  });
  afterAll(() => sut?.stop());
  beforeEach(() => sut.upstream.requests.splice(0));

  it('answers a body that does not arrive in time with 408, closes, and logs 408', async () => {
    const socket = await slowBody(sut.gateway.port, '-', '/late-body');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const answer = Buffer.concat(chunks).toString('latin1');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('application/problem+json');
    expect(answer.toLowerCase()).toContain('connection: close');
    await sut.gateway.waitForLog(
      (l) =>
        l['msg'] === 'request' &&
        l['path'] === '/late-body' &&
        l['status'] === 408,
    );
    expect(sut.upstream.requests).toHaveLength(0);
  });

  it('caps the bodies one client may have arriving at once (429 past it)', async () => {
    const pending = await openSockets(4, (i) =>
      slowBody(sut.gateway.port, '-', `/pending/${i}`),
    );
    try {
      await eventually(
        async () =>
          (await gauge(sut, 'gateway_pending_bodies')) === 4 || undefined,
        10_000,
        'four pending bodies',
      );
      const fifth = await rawRequest(
        sut.gateway.port,
        'POST /fifth HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}',
      );
      expect(fifth.status).toBe(429);
      expect(fifth.headers['content-type']).toBe('application/problem+json');
      expect(fifth.headers['retry-after']).toBeDefined();
      // Requests without a body are not held back by the cap.
      expect((await fetch(`${sut.gateway.url}/no-body`)).status).toBe(200);
    } finally {
      for (const socket of pending) socket.destroy();
    }
  });
});
