import { ProblemException } from '@gatehouse/shared/http';
import {
  parseCreateScanRequest,
  parseIdempotencyKey,
} from './create-scan-request';

describe('parseCreateScanRequest (S-1)', () => {
  it.each([undefined, null, {}, { target: null }])(
    'accepts an absent target: %p',
    (body) => {
      expect(parseCreateScanRequest(body)).toEqual({});
    },
  );

  it.each([
    'example.com',
    'sub.example.co.uk.',
    '192.168.1.10',
    '10.0.0.1:8080',
    '[2001:db8::1]:443',
    '::1',
    '2001:db8::1',
    '::ffff:192.0.2.1',
    'https://example.com/a?b=c',
    'HTTP://EXAMPLE.COM',
  ])('accepts the target %s', (target) =>
    expect(parseCreateScanRequest({ target: ` ${target} ` })).toEqual({
      target,
    }),
  );

  it.each([
    ['an array body', [1]],
    ['a string body', 'example.com'],
    ['an unknown field', { target: 'a.example', x: 1 }],
    ['a $ key', { $gt: '' }],
    ['a non-string target', { target: 1 }],
    ['an object target', { target: { $ne: null } }],
    ['an empty target', { target: '' }],
    ['a too long target', { target: `${'a'.repeat(2_050)}.example` }],
    ['a bad port', { target: 'a.example:99999' }],
    ['an ftp URL', { target: 'ftp://a.example/' }],
    ['credentials in the URL', { target: 'https://u:p@a.example/' }],
    ['spaces', { target: 'a example' }],
  ])('rejects %s with a 400 problem', (_why, body) => {
    try {
      parseCreateScanRequest(body);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ProblemException);
      expect((error as ProblemException).getStatus()).toBe(400);
    }
  });

  it('never copies a __proto__ key anywhere', () => {
    expect(() =>
      parseCreateScanRequest(JSON.parse('{"__proto__": {"polluted": true}}')),
    ).toThrow(ProblemException);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('parseIdempotencyKey', () => {
  it('accepts printable ASCII up to 255 characters', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('order-42:retry')).toBe('order-42:retry');
  });

  it.each([
    ['', 'empty'],
    ['a b', 'space'],
    ['x'.repeat(256), 'too long'],
    ['é', 'non-ASCII'],
  ])('rejects %p (%s)', (key) => {
    expect(() => parseIdempotencyKey(key)).toThrow(ProblemException);
  });

  it('rejects a repeated header', () => {
    expect(() => parseIdempotencyKey(['a', 'b'])).toThrow(ProblemException);
  });
});
