import { ProblemException } from '@gatehouse/shared/http';
import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ProxyPipeline, Arrival } from './proxy.pipeline';
import { attachProxy, framingProblem } from './proxy-server';
import type { RequestLogService } from './request-log.service';

// Sends raw bytes and returns everything the server writes until it closes the connection.
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(bytes);
    // Whatever is sent, the answer is due within this bound.
    setTimeout(() => socket.destroy(), 10_000).unref();
  });
}

describe('attachProxy (G-1)', () => {
  let server: Server;
  let port: number;
  const seen: { path: string; arrival: Arrival['kind'] }[] = [];
  const refusedLines: number[] = [];

  beforeAll(async () => {
    // Nest's listener, as bootstrap leaves it: answers its own routes.
    server = createServer((_req, res) => {
      res.setHeader('connection', 'close');
      res.end('nest');
    });
    const pipeline = {
      handle: (
        req: IncomingMessage,
        res: ServerResponse,
        arrival: Arrival = { kind: 'request' },
      ) => {
        seen.push({ path: req.url ?? '', arrival: arrival.kind });
        res.shouldKeepAlive = false;
        res.statusCode =
          arrival.kind === 'refused' ? arrival.problem.getStatus() : 200;
        res.end(arrival.kind);
      },
      handleUpgrade: () => undefined,
    } as unknown as ProxyPipeline;
    const requestLog = {
      writeRefused: (_socket: unknown, status: number) =>
        refusedLines.push(status),
    } as unknown as RequestLogService;
    attachProxy(server, {
      pipeline,
      requestLog,
      ownRoutes: (path) => path.startsWith('/_gateway'),
      maxHeaderFields: 10,
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    seen.length = 0;
    refusedLines.length = 0;
  });

  it('gives the gateway its own routes and the pipeline every other request', async () => {
    const own = await exchange(
      port,
      'GET /_gateway/status?x=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n',
    );
    expect(own).toMatch(/^HTTP\/1\.1 200[\s\S]*nest$/);
    const proxied = await exchange(
      port,
      'GET /api/x?q=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n',
    );
    expect(proxied).toMatch(/\r\n\r\nrequest$/);
    expect(seen).toEqual([{ path: '/api/x?q=1', arrival: 'request' }]);
  });

  it('sends a request without Host to the pipeline as refused (400)', async () => {
    const answer = await exchange(port, 'GET /a HTTP/1.1\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(seen).toEqual([{ path: '/a', arrival: 'refused' }]);
  });

  it('refuses an unknown expectation with 417 through the pipeline', async () => {
    const answer = await exchange(
      port,
      'GET /a HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 417/);
    expect(seen[0]).toEqual({ path: '/a', arrival: 'refused' });
  });

  it('answers CONNECT with a 405 problem and closes', async () => {
    const answer = await exchange(
      port,
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(answer).toContain('content-type: application/problem+json');
    expect(answer).toContain('allow: GET, HEAD, POST, PUT, PATCH, DELETE');
    expect(answer).toContain('connection: close');
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as {
      status: number;
      title: string;
      instance: string;
    };
    expect(body).toMatchObject({
      status: 405,
      title: 'Method Not Allowed',
      instance: '',
    });
    expect(seen).toEqual([]);
  });

  it('answers bytes Node cannot parse with a 400 problem and one log line', async () => {
    const answer = await exchange(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as {
      status: number;
      detail: string;
    };
    expect(body.status).toBe(400);
    expect(body.detail).toBe('The request is not valid HTTP.');
    expect(refusedLines).toEqual([400]);
    expect(seen).toEqual([]);
  });
});

describe('framingProblem (G-1)', () => {
  const req = (rawHeaders: string[], httpVersion = '1.1') =>
    ({ rawHeaders, httpVersion }) as unknown as IncomingMessage;
  const status = (problem: ProblemException | undefined) =>
    problem?.getStatus();

  it('wants exactly one Host on HTTP/1.1 and at most one on 1.0', () => {
    expect(status(framingProblem(req(['Host', 'a']), 10))).toBeUndefined();
    expect(status(framingProblem(req([]), 10))).toBe(400);
    expect(status(framingProblem(req([], '1.0'), 10))).toBeUndefined();
    expect(
      status(framingProblem(req(['Host', 'a', 'HOST', 'b'], '1.0'), 10)),
    ).toBe(400);
  });

  it('answers 431 past the header field limit instead of dropping fields', () => {
    const many = Array.from({ length: 4 }, (_, i) => [`x-${i}`, 'v']).flat();
    expect(status(framingProblem(req(['Host', 'a', ...many]), 4))).toBe(431);
    expect(
      status(framingProblem(req(['Host', 'a', ...many]), 5)),
    ).toBeUndefined();
  });
});
