import type { IncomingMessage } from 'node:http';
import {
  clientResponseHeaders,
  upstreamRequestHeaders,
} from './forward-headers';

describe('forward headers (G-1)', () => {
  it('keeps end-to-end request headers in order and replaces the gateway-owned ones', () => {
    const req = {
      rawHeaders: [
        'Host',
        'public',
        'X-One',
        '1',
        'Connection',
        'close, X-Gone',
        'X-Gone',
        'x',
        'Proxy-Authorization',
        'p',
        'x-one',
        '2',
        'X-Request-Id',
        'spoof',
        'Expect',
        '100-continue',
      ],
      headers: { host: 'public', 'x-forwarded-for': '203.0.113.1' },
      socket: {},
    } as unknown as IncomingMessage;
    const headers = upstreamRequestHeaders(req, {
      upstreamHost: 'backend:3000',
      requestId: 'rid',
      peer: '127.0.0.1',
    });
    expect(headers).toEqual([
      'X-One',
      '1',
      'x-one',
      '2',
      'host',
      'backend:3000',
      'x-request-id',
      'rid',
      'x-forwarded-for',
      '203.0.113.1, 127.0.0.1',
      'x-forwarded-proto',
      'http',
      'x-forwarded-host',
      'public',
    ]);
  });

  it('drops hop-by-hop response headers and adds the request id', () => {
    expect(
      clientResponseHeaders(
        {
          'content-type': 'text/plain',
          connection: 'x-internal',
          'x-internal': 'secret',
          'keep-alive': 'timeout=5',
          'transfer-encoding': 'chunked',
          'set-cookie': ['a=1', 'b=2'],
        },
        'rid',
      ),
    ).toEqual({
      'content-type': 'text/plain',
      'set-cookie': ['a=1', 'b=2'],
      'x-request-id': 'rid',
    });
  });
});
