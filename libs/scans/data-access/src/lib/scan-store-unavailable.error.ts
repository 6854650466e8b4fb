// The scan store (MongoDB) could not be reached or did not acknowledge in time.
export class ScanStoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the scan store is unavailable', { cause });
    this.name = 'ScanStoreUnavailableError';
  }
}

const UNAVAILABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoWriteConcernError',
  'MongoPoolClearedError',
]);

// Errors that mean "could not talk to the database", as opposed to a bug or a bad query.
export function isStoreUnavailable(error: unknown): boolean {
  if (error instanceof ScanStoreUnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { name, message } = error as { name?: string; message?: string };
  if (name && UNAVAILABLE_NAMES.has(name)) return true;
  // bufferCommands: false makes Mongoose fail at once, with a plain MongooseError, while disconnected.
  return (
    name === 'MongooseError' &&
    typeof message === 'string' &&
    /before initial connection|not connected|connection .* closed/i.test(
      message,
    )
  );
}
