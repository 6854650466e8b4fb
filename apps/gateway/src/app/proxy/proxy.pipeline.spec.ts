import { existsSync, readFileSync } from 'node:fs';
import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { proxyTestingModule, testConfig } from '../testing/gateway.testing';
import { ProxyPipeline } from './proxy.pipeline';

interface Line {
  requestId: string;
  path: string;
  decision: string;
  status: number;
  delayMs: number;
  error?: string;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

// Waits for a condition with a deadline: the line is written once the response has closed.
async function eventually<T>(read: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('never happened');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// The pipeline with its real steps, in front of a real upstream, over real sockets.
async function startGateway(
  backendUrl: string,
  env: Record<string, string> = {},
) {
  const lines: Line[] = [];
  const config = testConfig({
    BACKEND_URL: backendUrl,
    DUPLICATE_DELAY_MS: '100',
    MAX_IN_FLIGHT: '1',
    ...env,
  });
  // The real logger, writing its lines to this spec.
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const text of String(chunk).split('\n'))
        if (text !== '') lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  const module = await proxyTestingModule(config, sink);
  await module.init();
  const pipeline = module.get(ProxyPipeline);
  const server = createServer((req: IncomingMessage, res: ServerResponse) =>
    pipeline.handle(req, res),
  );
  const url = await listen(server);
  return {
    url,
    lines,
    config,
    stop: async () => {
      await close(server);
      await module.close();
    },
  };
}

describe('ProxyPipeline (G-1..G-6)', () => {
  let forwarded: string[] = [];
  // Requests to /slow are answered when the test says so.
  const slow: ServerResponse[] = [];
  let backend: Server;
  let backendUrl: string;
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    backend = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        forwarded.push(`${req.method} ${req.url}`);
        if (req.url === '/slow') slow.push(res);
        else res.end('ok');
      });
    });
    backendUrl = await listen(backend);
    gateway = await startGateway(backendUrl);
  });

  afterAll(async () => {
    await gateway.stop();
    await close(backend);
  });

  beforeEach(() => {
    forwarded = [];
    gateway.lines.length = 0;
  });

  const lineFor = (path: string) =>
    eventually(() => gateway.lines.find((line) => line.path === path));

  it('forwards a request and writes its one log line', async () => {
    const response = await fetch(`${gateway.url}/a?x=1`);
    expect(response.status).toBe(200);
    await expect(response.text()).resolves.toBe('ok');
    expect(forwarded).toEqual(['GET /a?x=1']);
    const line = await lineFor('/a');
    expect(line).toMatchObject({ decision: 'forwarded', status: 200 });
    expect(line.requestId).toBe(response.headers.get('x-request-id'));
    expect(gateway.lines).toHaveLength(1);
  });

  it('blocks a flagged JSON body with a 401 problem and never forwards it (G-2)', async () => {
    const response = await fetch(`${gateway.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"order":{"is_malicious":true}}',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain(
      'application/problem+json',
    );
    // Every error answer closes the connection.
    expect(response.headers.get('connection')).toBe('close');
    const problem = (await response.json()) as { instance: string };
    expect(problem.instance).toBe('/orders');
    expect(forwarded).toEqual([]);
    await expect(lineFor('/orders')).resolves.toMatchObject({
      decision: 'blocked',
      status: 401,
    });
  });

  it('holds an exact replay for DUPLICATE_DELAY_MS, then forwards it (G-3)', async () => {
    const first = await fetch(`${gateway.url}/replayed`);
    await first.text();
    const second = await fetch(`${gateway.url}/replayed`);
    expect(second.status).toBe(200);
    await second.text();
    expect(forwarded).toEqual(['GET /replayed', 'GET /replayed']);
    const lines = await eventually(() => {
      const found = gateway.lines.filter((line) => line.path === '/replayed');
      return found.length === 2 ? found : undefined;
    });
    expect(lines.map((line) => line.decision)).toEqual([
      'forwarded',
      'delayed',
    ]);
    expect(lines[1].delayMs).toBeGreaterThanOrEqual(100);
  });

  it('sheds a request past MAX_IN_FLIGHT with 503 while the upstream works (G-6)', async () => {
    const held = fetch(`${gateway.url}/slow`);
    await eventually(() => (slow.length === 1 ? true : undefined));
    const shed = await fetch(`${gateway.url}/other`);
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    slow.shift()?.end('late');
    const answer = await held;
    await expect(answer.text()).resolves.toBe('late');
    expect(forwarded).toEqual(['GET /slow']);
    await expect(lineFor('/other')).resolves.toMatchObject({
      decision: 'rejected',
      status: 503,
    });
  });

  it('answers 502 and records the failure when the upstream cannot be reached (G-6)', async () => {
    const down = await startGateway('http://127.0.0.1:1');
    try {
      const response = await fetch(`${down.url}/gone`);
      expect(response.status).toBe(502);
      const line = await eventually(() =>
        down.lines.find((entry) => entry.path === '/gone'),
      );
      expect(line).toMatchObject({ decision: 'failed', status: 502 });
      expect(line.error).toBe('ECONNREFUSED');
      // The failure also went to the upstream error file, one JSON line.
      const file = await eventually(() => {
        // The file is created by the first append, which lands after the answer.
        if (!existsSync(down.config.UPSTREAM_ERROR_LOG)) return undefined;
        const text = readFileSync(down.config.UPSTREAM_ERROR_LOG, 'utf8');
        return text.includes('/gone') ? text : undefined;
      });
      expect(JSON.parse(file.trim().split('\n')[0])).toMatchObject({
        path: '/gone',
        status: 502,
        code: 'ECONNREFUSED',
      });
    } finally {
      await down.stop();
    }
  });
});
