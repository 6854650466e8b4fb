import {
  InvalidCursorError,
  ListScansQuery,
  scanCursor,
} from '@gatehouse/scans/data-access';
import { SCAN_STATUSES, ScanStatus } from '@gatehouse/shared/contracts';
import { ProblemException } from '@gatehouse/shared/http';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;
const ALLOWED = new Set(['status', 'limit', 'cursor']);

function single(
  query: Record<string, unknown>,
  name: string,
): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw ProblemException.badRequest(
      'invalid-query',
      `Query parameter "${name}" must be given once, as a plain value.`,
    );
  return value;
}

// S-11: ?status=&limit=&cursor= and nothing else; anything unknown or malformed is a 400.
export function parseListScansQuery(
  query: Record<string, unknown>,
): ListScansQuery {
  const unknown = Object.keys(query).filter((key) => !ALLOWED.has(key));
  if (unknown.length > 0) {
    const shown = unknown
      .slice(0, 5)
      .map((key) => JSON.stringify(key.slice(0, 40)));
    throw ProblemException.badRequest(
      'invalid-query',
      `Unknown query parameter(s): ${shown.join(', ')}. Allowed: status, limit, cursor.`,
    );
  }
  const status = single(query, 'status');
  if (status !== undefined && !SCAN_STATUSES.includes(status as ScanStatus)) {
    throw ProblemException.badRequest(
      'invalid-query',
      `"status" must be one of ${SCAN_STATUSES.join(', ')}.`,
    );
  }
  const limitText = single(query, 'limit');
  let limit = DEFAULT_LIMIT;
  if (limitText !== undefined) {
    if (
      !/^\d{1,4}$/.test(limitText) ||
      Number(limitText) < 1 ||
      Number(limitText) > MAX_LIMIT
    ) {
      throw ProblemException.badRequest(
        'invalid-query',
        `"limit" must be an integer from 1 to ${MAX_LIMIT}.`,
      );
    }
    limit = Number(limitText);
  }
  const cursor = single(query, 'cursor');
  if (cursor !== undefined) {
    try {
      scanCursor.decode(cursor);
    } catch (error) {
      if (error instanceof InvalidCursorError)
        throw ProblemException.badRequest(
          'invalid-query',
          '"cursor" is not one this API returned.',
        );
      throw error;
    }
  }
  return { status: status as ScanStatus | undefined, limit, cursor };
}
