import { ProblemException } from '@gatehouse/shared/http';

// The shared store cannot answer a read right now (writes fail open instead).
export function storeUnavailable(): ProblemException {
  return new ProblemException({
    status: 503,
    title: 'Service Unavailable',
    type: 'store-unavailable',
    detail: 'The shared store is not reachable; try again shortly.',
    headers: { 'retry-after': '1' },
  });
}
