import { RecordingUpstream } from '@gatehouse/shared/testing';
import {
  GatewayUnderTest,
  rawRequest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';

describe('G-9 forward-proxy mode', () => {
  let sut: GatewayUnderTest;
  let allowedHost: RecordingUpstream;
  let otherHost: RecordingUpstream;
  let allowed: string;
  let other: string;

  beforeAll(async () => {
    allowedHost = new RecordingUpstream();
    otherHost = new RecordingUpstream();
    allowed = new URL(await allowedHost.listen()).host;
    other = new URL(await otherHost.listen()).host;
    sut = await startGatewayWithRecorder({
      FORWARD_PROXY_ALLOW: `example.invalid, ${allowed}`,
      DUPLICATE_DELAY_MS: '0',
    });
  });
  afterAll(async () => {
    await sut.stop();
    await allowedHost.close();
    await otherHost.close();
  });

  it('forwards an absolute-form request to an allowed host, path and query bytes unchanged', async () => {
    const response = await rawRequest(
      sut.gateway.port,
      `GET http://${allowed}/p/a%2Fb?x=%zz&y=1 HTTP/1.1\r\nHost: ${allowed}\r\nConnection: close\r\n\r\n`,
    );
    expect(response.status).toBe(200);
    expect(allowedHost.requests).toHaveLength(1);
    expect(allowedHost.requests[0]).toMatchObject({
      method: 'GET',
      url: '/p/a%2Fb?x=%zz&y=1',
    });
    expect(allowedHost.requests[0].headers.host).toBe(allowed);
    expect(sut.upstream.requests).toHaveLength(0);
  });

  it('applies the same inspection: a malicious JSON POST is blocked', async () => {
    const body = '{"is_malicious": true}';
    const response = await rawRequest(
      sut.gateway.port,
      `POST http://${allowed}/submit HTTP/1.1\r\nHost: ${allowed}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(response.status).toBe(401);
    expect(allowedHost.requests.map((r) => r.url)).not.toContain('/submit');
  });

  it('answers 403 problem+json for a host that is not on the allowlist', async () => {
    const response = await rawRequest(
      sut.gateway.port,
      `GET http://${other}/secret HTTP/1.1\r\nHost: ${other}\r\nConnection: close\r\n\r\n`,
    );
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(JSON.parse(response.body.toString())).toMatchObject({
      type: expect.stringContaining('forward-proxy-denied'),
    });
    expect(otherHost.requests).toHaveLength(0);
  });

  it('answers CONNECT with 405', async () => {
    const response = await rawRequest(
      sut.gateway.port,
      `CONNECT ${allowed} HTTP/1.1\r\nHost: ${allowed}\r\n\r\n`,
    );
    expect(response.status).toBe(405);
  });

  it('still serves origin-form requests from the backend', async () => {
    const response = await fetch(`${sut.gateway.url}/plain`);
    expect(response.status).toBe(200);
    expect(sut.upstream.requests.map((r) => r.url)).toContain('/plain');
  });
});
