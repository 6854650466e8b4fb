import { ProblemException } from '@gatehouse/shared/http';

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : ((error as Error)?.name ?? 'Error');
}

// G-6: a slow upstream is a 504, an unreachable or broken one a 502; the client never sees internals.
export function upstreamProblem(error: unknown): ProblemException {
  if (TIMEOUT_CODES.has(errorCode(error))) {
    return new ProblemException({
      status: 504,
      title: 'Gateway Timeout',
      type: 'upstream-timeout',
      detail: 'The upstream service did not answer in time.',
    });
  }
  return new ProblemException({
    status: 502,
    title: 'Bad Gateway',
    type: 'upstream-unavailable',
    detail:
      'The upstream service could not be reached or closed the connection.',
  });
}
