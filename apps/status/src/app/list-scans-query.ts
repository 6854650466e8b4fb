import {
  InvalidCursorError,
  ListScansQuery,
  scanCursor,
} from '@gatehouse/scans/data-access';
import { SCAN_STATUSES, ScanStatus } from '@gatehouse/shared/contracts';
import { ProblemException } from '@gatehouse/shared/http';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;
const ALLOWED = new Set([
  'status',
  'target',
  'createdFrom',
  'createdTo',
  'limit',
  'cursor',
]);
const MAX_TARGET_PREFIX = 2_048;
// RFC 3339 date-times, as the API writes them (a date alone means its midnight, UTC).
const DATE_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/i;

function parseDate(
  query: Record<string, unknown>,
  name: string,
): Date | undefined {
  const text = single(query, name);
  if (text === undefined) return undefined;
  const time = DATE_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time))
    throw ProblemException.badRequest(
      'invalid-query',
      `"${name}" must be an RFC 3339 date-time, such as 2026-12-06T10:00:00Z.`,
    );
  return new Date(time);
}

// Stored targets have lower-case schemes and host names: so does the prefix, up to its path.
function normalisePrefix(prefix: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)?([^/?#]*)(.*)$/is.exec(prefix);
  if (!match) return prefix;
  const [, scheme = '', host, rest] = match;
  return `${scheme.toLowerCase()}${host.toLowerCase()}${rest}`;
}

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
      `Unknown query parameter(s): ${shown.join(', ')}. Allowed: ${[...ALLOWED].join(', ')}.`,
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
  const target = single(query, 'target');
  if (
    target !== undefined &&
    (target === '' ||
      target.length > MAX_TARGET_PREFIX ||
      /[\p{Cc}\p{Cf}]/u.test(target))
  )
    throw ProblemException.badRequest(
      'invalid-query',
      `"target" must be 1 to ${MAX_TARGET_PREFIX} printable characters: the start of a stored target.`,
    );
  const createdFrom = parseDate(query, 'createdFrom');
  const createdTo = parseDate(query, 'createdTo');
  if (createdFrom && createdTo && createdFrom >= createdTo)
    throw ProblemException.badRequest(
      'invalid-query',
      '"createdFrom" must be earlier than "createdTo".',
    );
  return {
    status: status as ScanStatus | undefined,
    ...(target === undefined ? {} : { target: normalisePrefix(target) }),
    ...(createdFrom ? { createdFrom } : {}),
    ...(createdTo ? { createdTo } : {}),
    limit,
    cursor,
  };
}
