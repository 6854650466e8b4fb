import { AppProcess, eventually, LogLine } from '@gatehouse/shared/testing';
import { jwtVerify } from 'jose';
import { randomBytes } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { startGateway } from './support/traffic.test-helper';

// A real WebSocket server (the `ws` package): it echoes, greets, and records each handshake.
class EchoUpstream {
  readonly handshakes: IncomingHttpHeaders[] = [];
  private readonly http: Server;
  private readonly wss: WebSocketServer;

  constructor() {
    this.http = createServer((_req, res) => res.end('plain'));
    this.wss = new WebSocketServer({
      server: this.http,
      verifyClient: (info, done) => {
        if (info.req.url === '/forbidden') done(false, 403, 'Forbidden');
        else done(true);
      },
    });
    this.wss.on('connection', (socket, req) => {
      this.handshakes.push(req.headers);
      socket.send('welcome');
      socket.on('message', (data, isBinary) =>
        socket.send(isBinary ? data : `echo:${String(data)}`, {
          binary: isBinary,
        }),
      );
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) =>
      this.http.listen(0, '127.0.0.1', resolve),
    );
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

// Connects and collects messages; resolves once open, or with the refusal's status.
function open(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ socket: WebSocket; messages: string[] } | { status: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const messages: string[] = [];
    socket.on('message', (data) => messages.push(String(data)));
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

async function opened(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ socket: WebSocket; messages: string[] }> {
  const result = await open(url, headers);
  if ('status' in result)
    throw new Error(`handshake refused with ${result.status}`);
  return result;
}

function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve(1006);
    else socket.once('close', (code) => resolve(code));
  });
}

function tunnelLine(gateway: AppProcess, path: string): Promise<LogLine> {
  return gateway.waitForLog(
    (l) =>
      l['msg'] === 'request' && l['path'] === path && l['tunnel'] !== undefined,
    15_000,
    `the tunnel log line of ${path}`,
  );
}

const secretHex = randomBytes(32).toString('hex');

describe('G-1 WebSocket tunnelling', () => {
  let upstream: EchoUpstream;
  let gateway: AppProcess;
  let ws: string;

  beforeAll(async () => {
    upstream = new EchoUpstream();
    const url = await upstream.listen();
    gateway = await startGateway({
      BACKEND_URL: url,
      JWT_SECRET: secretHex,
      MAX_TUNNELS: '2',
      TUNNEL_IDLE_MS: '3000',
      DUPLICATE_DELAY_MS: '0',
    });
    ws = `ws://127.0.0.1:${gateway.port}`;
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it('tunnels messages both ways after an inspected handshake, and logs one line at close', async () => {
    const { socket, messages } = await opened(`${ws}/chat?room=1`, {
      'x-my-jwt': 'forged',
    });
    socket.send('hello');
    socket.send(Buffer.alloc(70_000, 7));
    await eventually(
      () => (messages.length >= 3 ? true : undefined),
      10_000,
      'the greeting and both echoes',
    );
    expect(messages[0]).toBe('welcome');
    expect(messages[1]).toBe('echo:hello');
    expect(messages[2]).toHaveLength(70_000);
    // The handshake went upstream like any forwarded request: identity, client, no forged token.
    const handshake = upstream.handshakes[upstream.handshakes.length - 1];
    expect(handshake['x-forwarded-for']).toBe('127.0.0.1');
    expect(handshake['x-request-id']).toBeDefined();
    const token = handshake['x-my-jwt'] as string;
    expect(token).not.toBe('forged');
    await expect(
      jwtVerify(token, Buffer.from(secretHex, 'hex')),
    ).resolves.toBeDefined();
    socket.close(1000, 'done');
    expect(await closed(socket)).toBe(1000);
    const line = await tunnelLine(gateway, '/chat');
    expect(line).toMatchObject({
      method: 'GET',
      decision: 'forwarded',
      status: 101,
      upstreamStatus: 101,
      tunnel: {
        bytesToUpstream: expect.any(Number),
        bytesToClient: expect.any(Number),
        durationMs: expect.any(Number),
      },
    });
    const tunnel = line['tunnel'] as Record<string, number>;
    // Each way carried at least the 70 kB binary message.
    expect(tunnel['bytesToUpstream']).toBeGreaterThan(70_000);
    expect(tunnel['bytesToClient']).toBeGreaterThan(70_000);
    expect(
      gateway.logs.filter(
        (l) => l['msg'] === 'request' && l['requestId'] === line['requestId'],
      ),
    ).toHaveLength(1);
  });

  it('relays the upstream refusing the handshake', async () => {
    expect(await open(`${ws}/forbidden`)).toEqual({ status: 403 });
  });

  it('bounds tunnels with MAX_TUNNELS: 503 past it', async () => {
    const first = await opened(`${ws}/a`);
    const second = await opened(`${ws}/b`);
    try {
      expect(await open(`${ws}/c`)).toEqual({ status: 503 });
      // G-4: the refusal has its line too.
      expect(
        await gateway.waitForLog(
          (l) => l['msg'] === 'request' && l['path'] === '/c',
          10_000,
          'the refused tunnel log line',
        ),
      ).toMatchObject({ status: 503 });
    } finally {
      first.socket.close();
      second.socket.close();
    }
    await Promise.all([closed(first.socket), closed(second.socket)]);
    // Slots come back when tunnels close.
    await eventually(
      async () => {
        const again = await open(`${ws}/d`);
        if ('status' in again) return undefined;
        again.socket.close();
        await closed(again.socket);
        return true;
      },
      10_000,
      'a tunnel slot to free up',
    );
  });

  it('closes a tunnel idle for TUNNEL_IDLE_MS and logs why', async () => {
    const { socket } = await opened(`${ws}/idle`);
    await closed(socket);
    const line = await tunnelLine(gateway, '/idle');
    expect(line['tunnel']).toMatchObject({ closedBy: 'idle' });
  }, 30_000);

  it('still serves plain requests on the same port', async () => {
    const response = await fetch(`${gateway.url}/plain`);
    expect(await response.text()).toBe('plain');
  });
});

describe('G-1 tunnels per client: one client cannot hold every tunnel', () => {
  let upstream: EchoUpstream;
  let gateway: AppProcess;
  let ws: string;

  beforeAll(async () => {
    upstream = new EchoUpstream();
    gateway = await startGateway({
      BACKEND_URL: await upstream.listen(),
      MAX_TUNNELS: '4',
      MAX_TUNNELS_PER_CLIENT: '2',
      TRUST_PROXY: '1',
      DUPLICATE_DELAY_MS: '0',
    });
    ws = `ws://127.0.0.1:${gateway.port}`;
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  it('answers 429 past MAX_TUNNELS_PER_CLIENT while other clients still get tunnels, and logs the refusal', async () => {
    const greedy = { 'x-forwarded-for': '198.51.100.7' };
    const first = await opened(`${ws}/greedy-1`, greedy);
    const second = await opened(`${ws}/greedy-2`, greedy);
    try {
      expect(await open(`${ws}/greedy-3`, greedy)).toEqual({ status: 429 });
      const other = await opened(`${ws}/other`, {
        'x-forwarded-for': '203.0.113.9',
      });
      other.socket.close();
      await closed(other.socket);
    } finally {
      first.socket.close();
      second.socket.close();
    }
    await Promise.all([closed(first.socket), closed(second.socket)]);
    const refused = await gateway.waitForLog(
      (l) => l['msg'] === 'request' && l['path'] === '/greedy-3',
      10_000,
      'the refused tunnel log line',
    );
    expect(refused).toMatchObject({
      status: 429,
      decision: 'rejected',
      client: '198.51.100.7',
    });
    // The client's slots come back when its tunnels close.
    await eventually(
      async () => {
        const again = await open(`${ws}/greedy-4`, greedy);
        if ('status' in again) return undefined;
        again.socket.close();
        await closed(again.socket);
        return true;
      },
      10_000,
      'a per-client tunnel slot to free up',
    );
  });
});
