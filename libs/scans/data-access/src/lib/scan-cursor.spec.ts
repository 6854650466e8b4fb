import { InvalidCursorError, scanCursor } from './scan-cursor';

describe('scanCursor', () => {
  const cursor = {
    createdAt: new Date('2026-01-02T03:04:05.678Z'),
    scanId: '0b8f8d4e-6f1c-4a0e-9d1e-3f4b5a6c7d8e',
  };

  it('round-trips (createdAt, scanId) as opaque base64url', () => {
    const text = scanCursor.encode(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(scanCursor.decode(text)).toEqual(cursor);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['well-formed base64 of junk', Buffer.from('hello').toString('base64url')],
    [
      'an operator object smuggled in',
      Buffer.from('{"$gt":""}').toString('base64url'),
    ],
    ['too long', 'A'.repeat(200)],
    [
      'uuid with injection',
      Buffer.from('1:0b8f8d4e-6f1c-4a0e-9d1e-3f4b5a6c7d8e"').toString(
        'base64url',
      ),
    ],
  ])('rejects a cursor that is %s', (_why, text) => {
    expect(() => scanCursor.decode(text)).toThrow(InvalidCursorError);
  });
});
