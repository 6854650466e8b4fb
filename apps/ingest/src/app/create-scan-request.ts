import { HttpStatus } from '@nestjs/common';
import type { CreateScanRequest } from '@gatehouse/shared/contracts';
import { ProblemException } from '@gatehouse/shared/http';
import { isIP } from 'node:net';

const MAX_TARGET_LENGTH = 2_048;
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const HOST_PORT = /^(.+?)(?::(\d{1,5}))?$/;
// Printable ASCII without spaces, as in the IETF idempotency-key draft's common practice.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function invalid(detail: string): ProblemException {
  return new ProblemException({
    status: HttpStatus.BAD_REQUEST,
    title: 'Bad Request',
    detail,
    type: 'invalid-request',
  });
}

function isHost(value: string): boolean {
  // A bare address first: "::1" would otherwise split as host ":" and port "1".
  if (isIP(value) !== 0) return true;
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/i.exec(value);
  if (bracketed)
    return (
      isIP(bracketed[1]) === 6 &&
      (bracketed[2] === undefined || Number(bracketed[2]) <= 65_535)
    );
  const match = HOST_PORT.exec(value);
  if (!match) return false;
  const [, host, port] = match;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535))
    return false;
  return isIP(host) !== 0 || HOSTNAME.test(host);
}

function isUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    const url = new URL(value);
    return url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

// S-1: the body is optional; when present it is exactly {"target": "<host or URL>"}. Checked by
// hand, not by class-transformer, so that keys like __proto__ or $where are never copied anywhere.
export function parseCreateScanRequest(body: unknown): CreateScanRequest {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw invalid('The body must be a JSON object.');
  const keys = Object.keys(body);
  const unknown = keys.filter((key) => key !== 'target');
  if (unknown.length > 0) {
    const shown = unknown
      .slice(0, 5)
      .map((key) => JSON.stringify(key.slice(0, 40)));
    throw invalid(
      `Unknown field(s): ${shown.join(', ')}. Only "target" is accepted.`,
    );
  }
  const target = (body as { target?: unknown }).target;
  if (target === undefined || target === null) return {};
  if (typeof target !== 'string')
    throw invalid(
      '"target" must be a string: a host name, an IP address or an http(s) URL.',
    );
  const trimmed = target.trim();
  if (trimmed === '' || trimmed.length > MAX_TARGET_LENGTH) {
    throw invalid(
      `"target" must be 1 to ${MAX_TARGET_LENGTH} characters long.`,
    );
  }
  if (!isHost(trimmed) && !isUrl(trimmed)) {
    throw invalid(
      '"target" must be a host name, an IP address (optionally with a port) or an http(s) URL.',
    );
  }
  return { target: trimmed };
}

export function parseIdempotencyKey(
  header: string | string[] | undefined,
): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
    throw invalid(
      'Idempotency-Key must be 1 to 255 printable ASCII characters, sent once.',
    );
  }
  return header;
}
