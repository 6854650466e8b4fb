import type { IncomingMessage } from 'node:http';
import { requestFingerprint } from './request-fingerprint';

function req(
  method: string,
  url: string,
  rawHeaders: string[],
): IncomingMessage {
  return { method, url, rawHeaders } as unknown as IncomingMessage;
}

const base = [
  'Host',
  'gw',
  'Content-Type',
  'application/json',
  'X-A',
  '1',
  'X-A',
  '2',
];
const print = (r: IncomingMessage, body = '{}') =>
  requestFingerprint(r, Buffer.from(body));

describe('requestFingerprint (G-3)', () => {
  const reference = print(req('POST', '/p?q=1', base));

  it('ignores header name case, the order of distinct names and hop-by-hop headers', () => {
    expect(
      print(
        req('POST', '/p?q=1', [
          'content-type',
          'application/json',
          'host',
          'gw',
          'x-a',
          '1',
          'x-a',
          '2',
        ]),
      ),
    ).toBe(reference);
    expect(
      print(
        req('POST', '/p?q=1', [
          ...base,
          'Connection',
          'keep-alive, X-Hop',
          'X-Hop',
          'v',
          'Keep-Alive',
          'timeout=5',
          'TE',
          'trailers',
        ]),
      ),
    ).toBe(reference);
  });

  it.each([
    ['method', req('PUT', '/p?q=1', base), '{}'],
    ['query bytes', req('POST', '/p?q=%31', base), '{}'],
    [
      'header value case',
      req('POST', '/p?q=1', [
        'Host',
        'gw',
        'Content-Type',
        'Application/json',
        'X-A',
        '1',
        'X-A',
        '2',
      ]),
      '{}',
    ],
    [
      'order of repeated fields',
      req('POST', '/p?q=1', [
        'Host',
        'gw',
        'Content-Type',
        'application/json',
        'X-A',
        '2',
        'X-A',
        '1',
      ]),
      '{}',
    ],
    ['one more header', req('POST', '/p?q=1', [...base, 'X-B', '']), '{}'],
    ['body bytes', req('POST', '/p?q=1', base), '{ }'],
  ])('changes with the %s', (_what, changed, body) => {
    expect(print(changed, body)).not.toBe(reference);
  });

  it('cannot be confused by shifting bytes between fields', () => {
    expect(print(req('GET', '/a', ['X', 'b:c']))).not.toBe(
      print(req('GET', '/a', ['X:b', 'c'])),
    );
  });
});
