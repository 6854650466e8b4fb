import { eventually } from '@gatehouse/shared/testing';
import { connect, Socket } from 'node:net';
import {
  GatewayUnderTest,
  rawRequest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';

// Everything a raw connection received, and whether the gateway closed it.
interface Conversation {
  socket: Socket;
  received(): string;
  closed: Promise<void>;
}

function converse(port: number): Promise<Conversation> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((done) =>
      socket.once('close', () => done()),
    );
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => Buffer.concat(chunks).toString('latin1'),
        closed,
      }),
    );
    socket.once('error', reject);
  });
}

// A request on its own connection that the upstream must see: once it has, anything sent
// before it on other connections has had its chance to arrive too.
async function barrier(sut: GatewayUnderTest, path: string): Promise<void> {
  const response = await rawRequest(
    sut.gateway.port,
    `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
  );
  expect(response.status).toBe(200);
}

function forwardedPaths(sut: GatewayUnderTest): string[] {
  return sut.upstream.requests.map((r) => r.url);
}

describe('G-1 strict framing: an error answer closes the connection and nothing after it is forwarded', () => {
  let sut: GatewayUnderTest;
  beforeAll(async () => {
    sut = await startGatewayWithRecorder({ DUPLICATE_DELAY_MS: '0' });
  });
  afterAll(() => sut?.stop());
  beforeEach(() => sut.upstream.requests.splice(0));

  it('answers slow headers with 408 within the headers timeout, closes, forwards nothing and logs 408', async () => {
    const started = Date.now();
    const conversation = await converse(sut.gateway.port);
    conversation.socket.write('POST /slow-headers HTTP/1.1\r\nHost: a\r\n');
    // Dribble a header line every 500 ms: the headers never complete in time.
    let line = 0;
    const dribble = setInterval(() => {
      if (conversation.socket.writable)
        conversation.socket.write(`X-Slow-${line++}: 1\r\n`);
    }, 500);
    try {
      await eventually(
        () => (conversation.received().includes('\r\n\r\n') ? true : undefined),
        40_000,
        '408 for slow headers',
      );
    } finally {
      clearInterval(dribble);
    }
    const elapsedMs = Date.now() - started;
    // headersTimeout is 10 s, checked every second (it used to be every 30 s).
    expect(elapsedMs).toBeLessThan(25_000);
    const answer = conversation.received();
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('application/problem+json');
    // The client now completes the request and pipelines three more: none may go upstream.
    if (conversation.socket.writable) {
      conversation.socket.write(
        'Content-Length: 2\r\n\r\n{}' +
          'GET /pipelined-1 HTTP/1.1\r\nHost: a\r\n\r\n' +
          'GET /pipelined-2 HTTP/1.1\r\nHost: a\r\n\r\n' +
          'GET /pipelined-3 HTTP/1.1\r\nHost: a\r\n\r\n',
      );
    }
    await conversation.closed;
    await barrier(sut, '/after-408');
    expect(forwardedPaths(sut)).toEqual(['/after-408']);
    const logged = await sut.gateway.waitForLog(
      (l) => l['msg'] === 'request' && l['status'] === 408,
    );
    expect(logged).toMatchObject({ decision: 'rejected', status: 408 });
    expect(sut.requestLines().filter((l) => l['status'] === 502)).toHaveLength(
      0,
    );
  }, 60_000);

  it('answers more header fields than the limit with 431 problem+json, never a silent drop', async () => {
    let junk = '';
    for (let i = 0; i < 250; i++) junk += `X-Junk-${i}: ${i}\r\n`;
    const response = await rawRequest(
      sut.gateway.port,
      `POST /many-headers HTTP/1.1\r\nHost: a\r\n${junk}Content-Type: application/json\r\nContent-Length: 21\r\n\r\n{"is_malicious":true}`,
    );
    expect(response.status).toBe(431);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body.toString())).toMatchObject({ status: 431 });
    await barrier(sut, '/after-431');
    expect(forwardedPaths(sut)).toEqual(['/after-431']);
    await sut.gateway.waitForLog(
      (l) => l['path'] === '/many-headers' && l['status'] === 431,
    );
  });

  it('answers two Host headers with 400 and forwards nothing (RFC 9112 §3.2)', async () => {
    const response = await rawRequest(
      sut.gateway.port,
      'GET /two-hosts HTTP/1.1\r\nHost: a\r\nHost: evil.example\r\n\r\n',
    );
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers['connection']).toBe('close');
    await barrier(sut, '/after-two-hosts');
    expect(forwardedPaths(sut)).toEqual(['/after-two-hosts']);
    await sut.gateway.waitForLog(
      (l) => l['path'] === '/two-hosts' && l['status'] === 400,
    );
  });

  it('answers HTTP/1.1 without Host with a logged 400 problem+json', async () => {
    const response = await rawRequest(
      sut.gateway.port,
      'GET /no-host HTTP/1.1\r\n\r\n',
    );
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body.toString())).toMatchObject({
      status: 400,
      type: expect.stringContaining('missing-host'),
    });
    await sut.gateway.waitForLog(
      (l) =>
        l['msg'] === 'request' &&
        l['path'] === '/no-host' &&
        l['status'] === 400 &&
        l['decision'] === 'rejected',
    );
    expect(forwardedPaths(sut)).toEqual([]);
  });

  it('answers an Expect other than 100-continue with a logged 417 problem+json', async () => {
    const response = await rawRequest(
      sut.gateway.port,
      'POST /expect HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\n{}',
    );
    expect(response.status).toBe(417);
    expect(response.headers['content-type']).toBe('application/problem+json');
    await sut.gateway.waitForLog(
      (l) =>
        l['msg'] === 'request' &&
        l['path'] === '/expect' &&
        l['status'] === 417,
    );
    expect(forwardedPaths(sut)).toEqual([]);
  });

  it('forwards nothing pipelined behind a request it refused', async () => {
    const body = '{"is_malicious":true}';
    const response = await rawRequest(
      sut.gateway.port,
      `POST /blocked HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        'GET /behind-1 HTTP/1.1\r\nHost: a\r\n\r\n' +
        'GET /behind-2 HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    expect(response.status).toBe(401);
    expect(response.headers['connection']).toBe('close');
    await barrier(sut, '/after-blocked');
    expect(forwardedPaths(sut)).toEqual(['/after-blocked']);
  });

  it('still forwards every request pipelined on a healthy connection, in order', async () => {
    await rawRequest(
      sut.gateway.port,
      'GET /p-1 HTTP/1.1\r\nHost: a\r\n\r\nGET /p-2 HTTP/1.1\r\nHost: a\r\n\r\nGET /p-3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    expect(forwardedPaths(sut).sort()).toEqual(['/p-1', '/p-2', '/p-3']);
  });

  it('sets X-Forwarded-For after removing the headers Connection names', async () => {
    const response = await rawRequest(
      sut.gateway.port,
      'GET /xff HTTP/1.1\r\nHost: a\r\nConnection: X-Forwarded-For, close\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n',
    );
    expect(response.status).toBe(200);
    const received = sut.upstream.requests[0];
    expect(received.headers['x-forwarded-for']).toBe('127.0.0.1');
  });
});
