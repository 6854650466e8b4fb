import { LogLine, eventually, sleep } from '@gatehouse/shared/testing';
import { createHash, randomBytes } from 'node:crypto';
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';
import {
  GatewayUnderTest,
  rawRequest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';

const KEY = randomBytes(16).toString('base64');
const ACCEPT = createHash('sha1')
  .update(KEY + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
  .digest('base64');

function handshake(path: string, extra = ''): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: gateway.test\r\nConnection: Upgrade\r\n` +
    `Upgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
  );
}

const SMUGGLED_BODY = '{"is_malicious": true}';
const SMUGGLED =
  `POST /echo/smuggled HTTP/1.1\r\nHost: gateway.test\r\nX-Forwarded-For: 6.6.6.6\r\n` +
  `Content-Type: application/json\r\nContent-Length: ${SMUGGLED_BODY.length}\r\n\r\n${SMUGGLED_BODY}`;

// A client on a raw socket: everything it receives, and whether the gateway closed on it.
class RawClient {
  received = Buffer.alloc(0);
  readonly closed: Promise<void>;
  private readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
    });
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => resolve()),
    );
  }

  write(bytes: string): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  get text(): string {
    return this.received.toString('latin1');
  }

  // Resolves when the gateway has closed the connection, or rejects after `ms`.
  async closedWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.closed,
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(`the gateway kept the connection open: ${this.text}`),
              ),
            ms,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.socket.destroy();
    }
  }
}

// An upstream on a raw socket: it records every byte of each connection, with the time it
// arrived, and answers the first bytes as the test scripts it.
class RawUpstream {
  readonly connections: { chunks: { at: number; bytes: Buffer }[] }[] = [];
  private readonly server: Server;
  answeredAt = 0;

  constructor(answer: (socket: Socket, upstream: RawUpstream) => void) {
    this.server = createServer((socket) => {
      const record = { chunks: [] as { at: number; bytes: Buffer }[] };
      this.connections.push(record);
      socket.on('error', () => undefined);
      let first = true;
      socket.on('data', (bytes: Buffer) => {
        record.chunks.push({ at: performance.now(), bytes });
        if (first) {
          first = false;
          answer(socket, this);
        }
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) =>
      this.server.listen(0, '127.0.0.1', resolve),
    );
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  bytes(index = 0): string {
    return Buffer.concat(
      (this.connections[index]?.chunks ?? []).map((c) => c.bytes),
    ).toString('latin1');
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      setTimeout(resolve, 500).unref();
    });
  }
}

function linesFor(under: GatewayUnderTest, path: string): LogLine[] {
  return under.requestLines().filter((line) => line['path'] === path);
}

async function oneLineFor(
  under: GatewayUnderTest,
  path: string,
): Promise<LogLine> {
  const line = await under.gateway.waitForLog(
    (l) => l['msg'] === 'request' && l['path'] === path,
    10_000,
    `the log line of ${path}`,
  );
  await sleep(200);
  expect(linesFor(under, path)).toHaveLength(1);
  return line;
}

async function processed(under: GatewayUnderTest): Promise<number> {
  const response = await fetch(`${under.gateway.url}/_gateway/status`);
  const status = (await response.json()) as {
    requests: { processed: number };
  };
  return status.requests.processed;
}

describe('G-1 WebSocket upgrades: tunnelled only after a 101 from the upstream', () => {
  let under: GatewayUnderTest;

  beforeAll(async () => {
    under = await startGatewayWithRecorder({ DUPLICATE_DELAY_MS: '0' });
  });
  afterAll(async () => {
    await under?.stop();
  });

  it('relays an upstream that answers the handshake with 200, then closes: a smuggled request behind it never arrives', async () => {
    const client = new RawClient(under.gateway.port);
    // Behind the handshake in the same write (Node hands these bytes over as `head`)...
    client.write(handshake('/ws/smuggle') + SMUGGLED);
    await eventually(
      () => (client.text.includes('{"ok":true}') ? true : undefined),
      5_000,
      'the upstream answer relayed',
    );
    // ...and again once the answer has arrived, as a pipe would carry it.
    client.write(SMUGGLED);
    await client.closedWithin(3_000);
    expect(client.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(client.text.toLowerCase()).toContain('connection: close');
    await sleep(300);
    const seen = under.upstream.requests.filter(
      (r) =>
        r.url.startsWith('/ws/smuggle') || r.url.startsWith('/echo/smuggled'),
    );
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /ws/smuggle',
    ]);
    expect(
      under.upstream.requests.some((r) => r.body.includes('is_malicious')),
    ).toBe(false);
    const line = await oneLineFor(under, '/ws/smuggle');
    expect(line).toMatchObject({
      method: 'GET',
      decision: 'forwarded',
      status: 200,
      upstreamStatus: 200,
    });
    expect(line['tunnel']).toBeUndefined();
  });

  it('refuses a WebSocket handshake with a body (Content-Length or Transfer-Encoding) with 400, and logs it', async () => {
    const before = under.upstream.requests.length;
    const withLength = await rawRequest(
      under.gateway.port,
      handshake('/ws/body-length', 'Content-Length: 22\r\n') + SMUGGLED_BODY,
    );
    expect(withLength.status).toBe(400);
    expect(withLength.headers['content-type']).toContain(
      'application/problem+json',
    );
    const chunked = await rawRequest(
      under.gateway.port,
      handshake('/ws/body-chunked', 'Transfer-Encoding: chunked\r\n') +
        `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
    );
    expect(chunked.status).toBe(400);
    expect(JSON.parse(chunked.body.toString())).toMatchObject({
      status: 400,
      type: expect.stringContaining('upgrade-with-body'),
    });
    await sleep(200);
    expect(under.upstream.requests.length).toBe(before);
    expect((await oneLineFor(under, '/ws/body-length'))['status']).toBe(400);
    expect((await oneLineFor(under, '/ws/body-chunked'))['status']).toBe(400);
  });

  it('refuses a WebSocket handshake without a valid Sec-WebSocket-Key with 400', async () => {
    const response = await rawRequest(
      under.gateway.port,
      'GET /ws/no-key HTTP/1.1\r\nHost: gateway.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\n\r\n',
    );
    expect(response.status).toBe(400);
    expect((await oneLineFor(under, '/ws/no-key'))['status']).toBe(400);
  });
});

describe('G-4 every upgrade request gets its one log line and is counted', () => {
  let under: GatewayUnderTest;

  beforeAll(async () => {
    under = await startGatewayWithRecorder({ DUPLICATE_DELAY_MS: '0' });
  });
  afterAll(async () => {
    await under?.stop();
  });

  it('forwards an h2c upgrade as a plain request without its upgrade fields, logs one line and moves /_gateway/status', async () => {
    const before = await processed(under);
    const response = await rawRequest(
      under.gateway.port,
      'GET /hidden HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n' +
        'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n' +
        SMUGGLED,
    );
    expect(response.status).toBe(200);
    const forwarded = under.upstream.requests.filter(
      (r) => r.url === '/hidden',
    );
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0].headers['upgrade']).toBeUndefined();
    expect(forwarded[0].headers['http2-settings']).toBeUndefined();
    expect(
      under.upstream.requests.some((r) => r.url === '/echo/smuggled'),
    ).toBe(false);
    expect(await oneLineFor(under, '/hidden')).toMatchObject({
      method: 'GET',
      decision: 'forwarded',
      status: 200,
    });
    expect(await processed(under)).toBeGreaterThan(before);
  });

  it('logs a POST with Upgrade: websocket and no body, which is forwarded as a plain request', async () => {
    const response = await rawRequest(
      under.gateway.port,
      'POST /post-upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    );
    expect(response.status).toBe(200);
    expect(await oneLineFor(under, '/post-upgrade')).toMatchObject({
      method: 'POST',
      status: 200,
    });
  });

  it('logs refused upgrades: an upgrade on the gateway prefix (404) and a non-WebSocket upgrade with a body (400)', async () => {
    const own = await rawRequest(
      under.gateway.port,
      handshake('/_gateway/status'),
    );
    expect(own.status).toBe(404);
    const body = await rawRequest(
      under.gateway.port,
      'POST /h2c-body HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\n{}',
    );
    expect(body.status).toBe(400);
    expect(await oneLineFor(under, '/_gateway/status')).toMatchObject({
      status: 404,
      decision: 'rejected',
    });
    expect(await oneLineFor(under, '/h2c-body')).toMatchObject({
      status: 400,
      decision: 'rejected',
    });
  });
});

describe('G-1 the upstream handshake answer is checked before any client byte goes upstream', () => {
  it('answers 502 to a 101 with a wrong Sec-WebSocket-Accept, and the early frame never reaches the upstream', async () => {
    const upstream = new RawUpstream((socket) =>
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Accept: d3Jvbmc=\r\n\r\n',
      ),
    );
    const under = await startGatewayWithRecorder({
      BACKEND_URL: await upstream.listen(),
    });
    try {
      const response = await rawRequest(
        under.gateway.port,
        handshake('/ws/bad-accept') + 'EARLY-FRAME',
      );
      expect(response.status).toBe(502);
      await sleep(200);
      expect(upstream.bytes()).toContain('GET /ws/bad-accept HTTP/1.1');
      expect(upstream.bytes()).not.toContain('EARLY-FRAME');
      expect((await oneLineFor(under, '/ws/bad-accept'))['status']).toBe(502);
    } finally {
      await under.stop();
      await upstream.close();
    }
  });

  it('answers 502 to a 101 that switches to another protocol', async () => {
    const upstream = new RawUpstream((socket) =>
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${ACCEPT}\r\n\r\n`,
      ),
    );
    const under = await startGatewayWithRecorder({
      BACKEND_URL: await upstream.listen(),
    });
    try {
      const response = await rawRequest(
        under.gateway.port,
        handshake('/ws/other-protocol'),
      );
      expect(response.status).toBe(502);
    } finally {
      await under.stop();
      await upstream.close();
    }
  });

  it('sends the bytes a client wrote behind its handshake only after the upstream answered 101', async () => {
    const upstream = new RawUpstream((socket, self) => {
      // A slow upstream: early bytes from the client, if any, would arrive before this answer.
      setTimeout(() => {
        self.answeredAt = performance.now();
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Accept: ${ACCEPT}\r\n\r\nSERVER-HELLO`,
        );
      }, 300);
    });
    const under = await startGatewayWithRecorder({
      BACKEND_URL: await upstream.listen(),
    });
    try {
      const client = new RawClient(under.gateway.port);
      client.write(handshake('/ws/early') + 'EARLY-FRAME');
      await eventually(
        () => (client.text.includes('SERVER-HELLO') ? true : undefined),
        5_000,
        'the 101 and the upstream first bytes',
      );
      expect(client.text).toMatch(/^HTTP\/1\.1 101 /);
      expect(client.text).toContain(`sec-websocket-accept: ${ACCEPT}`);
      await eventually(
        () => (upstream.bytes().includes('EARLY-FRAME') ? true : undefined),
        5_000,
        'the early frame delivered after the 101',
      );
      const chunks = upstream.connections[0].chunks;
      const early = chunks.find((c) =>
        c.bytes.toString('latin1').includes('EARLY-FRAME'),
      );
      expect(early?.at).toBeGreaterThanOrEqual(upstream.answeredAt);
      expect(chunks[0].bytes.toString('latin1').includes('EARLY-FRAME')).toBe(
        false,
      );
      client.destroy();
    } finally {
      await under.stop();
      await upstream.close();
    }
  });
});
