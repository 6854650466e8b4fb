import {
  isStoreUnavailable,
  ScanStoreUnavailableError,
} from './scan-store-unavailable.error';

function named(name: string, message = ''): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('isStoreUnavailable', () => {
  it.each([
    'MongoServerSelectionError',
    'MongooseServerSelectionError',
    'MongoNetworkError',
    'MongoNotConnectedError',
  ])('treats %s as unavailable', (name) =>
    expect(isStoreUnavailable(named(name))).toBe(true),
  );

  it('treats a disconnected Mongoose with bufferCommands off as unavailable', () => {
    const error = named(
      'MongooseError',
      'Cannot call `scans.insertOne()` before initial connection is complete if `bufferCommands = false`.',
    );
    expect(isStoreUnavailable(error)).toBe(true);
    expect(isStoreUnavailable(new ScanStoreUnavailableError(error))).toBe(true);
  });

  it('does not hide bugs', () => {
    expect(isStoreUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(
      isStoreUnavailable(named('MongoServerError', 'E11000 duplicate key')),
    ).toBe(false);
    expect(isStoreUnavailable(undefined)).toBe(false);
  });
});
