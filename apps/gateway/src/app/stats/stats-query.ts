import { ProblemException } from '@gatehouse/shared/http';

export interface StatsQuery {
  limit: number;
  offset: number;
}

export const MAX_STATS_LIMIT = 1000;
const MAX_OFFSET = 100_000_000;
const DEFAULT_LIMIT = 100;

function integerParam(
  params: URLSearchParams,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const values = params.getAll(name);
  if (values.length === 0) return fallback;
  const value = values[0];
  if (values.length > 1 || !/^\d{1,10}$/.test(value))
    throw ProblemException.badRequest(
      'invalid-query',
      `${name} must be one integer in ${min}..${max}.`,
    );
  const parsed = Number(value);
  if (parsed < min || parsed > max)
    throw ProblemException.badRequest(
      'invalid-query',
      `${name} must be one integer in ${min}..${max}.`,
    );
  return parsed;
}

// G-10: ?limit=&offset= of GET /stats; anything else is a 400.
export function parseStatsQuery(search: string): StatsQuery {
  const params = new URLSearchParams(search);
  for (const name of params.keys()) {
    if (name !== 'limit' && name !== 'offset')
      throw ProblemException.badRequest(
        'invalid-query',
        `Unknown query parameter "${name.slice(0, 64)}": only limit and offset are accepted.`,
      );
  }
  return {
    limit: integerParam(params, 'limit', 1, MAX_STATS_LIMIT, DEFAULT_LIMIT),
    offset: integerParam(params, 'offset', 0, MAX_OFFSET, 0),
  };
}
