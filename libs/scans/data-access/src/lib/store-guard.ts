import {
  isStoreUnavailable,
  ScanStoreUnavailableError,
} from './scan-store-unavailable.error';

// Turns "could not reach the database" into ScanStoreUnavailableError (503 in the HTTP apps).
export async function guardStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw isStoreUnavailable(error)
      ? new ScanStoreUnavailableError(error)
      : error;
  }
}
