import { createServer, Server } from 'node:net';
import { freePort, startApp } from '@gatehouse/shared/testing';
import {
  GatewayUnderTest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';

describe('G-6 upstream failures become problem+json, never a crash', () => {
  let sut: GatewayUnderTest;
  beforeAll(async () => {
    sut = await startGatewayWithRecorder({
      UPSTREAM_TIMEOUT_MS: '300',
      DUPLICATE_DELAY_MS: '0',
    });
  });
  afterAll(() => sut.stop());

  // A second gateway whose upstream is whatever a test puts on `port`.
  const gatewayInFrontOf = (port: number) =>
    startApp('gateway', {
      env: {
        BACKEND_URL: `http://127.0.0.1:${port}`,
        UPSTREAM_ERROR_LOG: sut.errorLogPath,
      },
      readyPath: '/_gateway/health/live',
    });

  it('answers 504 past UPSTREAM_TIMEOUT_MS and logs the failure in both logs', async () => {
    sut.upstream.respond((_req, res) =>
      setTimeout(() => res.end('late'), 1500),
    );
    const response = await fetch(`${sut.gateway.url}/slow`, {
      headers: { 'x-request-id': 'slow-1' },
    });
    expect(response.status).toBe(504);
    expect(response.headers.get('content-type')).toBe(
      'application/problem+json',
    );
    expect(await response.json()).toMatchObject({
      status: 504,
      title: 'Gateway Timeout',
      instance: '/slow',
      requestId: 'slow-1',
    });
    const line = await sut.gateway.waitForLog(
      (l) => l['requestId'] === 'slow-1',
    );
    expect(line).toMatchObject({
      decision: 'failed',
      status: 504,
      upstreamStatus: null,
    });
    const deadline = Date.now() + 5000;
    while (
      !sut.errorLogLines().some((l) => l['requestId'] === 'slow-1') &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 50));
    expect(
      sut.errorLogLines().find((l) => l['requestId'] === 'slow-1'),
    ).toMatchObject({
      status: 504,
      code: 'UND_ERR_HEADERS_TIMEOUT',
      path: '/slow',
    });
  });

  it('answers 502 when the upstream resets the connection', async () => {
    sut.upstream.respond((req, res) => res.socket?.destroy());
    const response = await fetch(`${sut.gateway.url}/reset`);
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({
      status: 502,
      title: 'Bad Gateway',
    });
    sut.upstream.respond((_req, res) => res.end('{"ok":true}'));
    // Still serving afterwards.
    expect((await fetch(`${sut.gateway.url}/after`)).status).toBe(200);
  });

  it('answers 502 when the upstream is unreachable, without leaking its address', async () => {
    const port = await freePort();
    const gateway = await gatewayInFrontOf(port);
    try {
      const response = await fetch(`${gateway.url}/anything`);
      expect(response.status).toBe(502);
      const text = await response.text();
      expect(text).not.toContain(String(port));
      expect(text).not.toContain('ECONNREFUSED');
      const ready = await fetch(`${gateway.url}/_gateway/health/ready`);
      expect(ready.status).toBe(503);
    } finally {
      await gateway.stop();
    }
  });

  it('cuts the response when the upstream dies mid-body, and stays up', async () => {
    const port = await freePort();
    const server: Server = createServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\npartial');
        setTimeout(() => socket.destroy(), 50);
      });
    });
    await new Promise<void>((resolve) =>
      server.listen(port, '127.0.0.1', resolve),
    );
    const gateway = await gatewayInFrontOf(port);
    try {
      await expect(
        fetch(`${gateway.url}/truncated`).then((r) => r.text()),
      ).rejects.toThrow();
      expect(gateway.running).toBe(true);
      const line = await gateway.waitForLog(
        (l) => l['msg'] === 'request' && l['path'] === '/truncated',
      );
      expect(line).toMatchObject({
        decision: 'failed',
        upstreamStatus: 200,
        completed: false,
      });
    } finally {
      await gateway.stop();
      server.close();
    }
  });
});
