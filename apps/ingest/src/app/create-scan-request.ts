import type { CreateScanRequest } from '@gatehouse/shared/contracts';
import { ProblemException } from '@gatehouse/shared/http';
import { isIP } from 'node:net';

const MAX_TARGET_LENGTH = 2_048;
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const HOST_PORT = /^(.+?)(?::(\d{1,5}))?$/;
// Printable ASCII without spaces, as in the IETF idempotency-key draft's common practice.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

// S-1: characters that can hide what a target says (bidirectional overrides, zero-width joiners,
// soft hyphens), split a log line or a CSV cell (controls, line separators), or that a URL parser
// silently drops (a tab in "a.exa\tmple"), so that the scanner and a reader would see different
// targets. General categories: Cc (C0, DEL, C1), Cf (format), Cs (unpaired surrogates), Zl, Zp.
const REFUSED_CHARACTER = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const BIDI_FORMATTING = /^[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]$/u;

function characterClass(char: string): string {
  if (/^\p{Cc}$/u.test(char)) return 'a control character';
  if (BIDI_FORMATTING.test(char)) return 'a bidirectional-formatting character';
  if (/^\p{Cs}$/u.test(char)) return 'an unpaired surrogate';
  if (/^[\p{Zl}\p{Zp}]$/u.test(char)) return 'a line or paragraph separator';
  return 'an invisible formatting character';
}

// Names the first refused character by its code point, never echoing it.
function refusedCharacter(value: string): string | undefined {
  const index = value.search(REFUSED_CHARACTER);
  if (index === -1) return undefined;
  const code = value.codePointAt(index) as number;
  const char = String.fromCodePoint(code);
  const position = [...value.slice(0, index)].length + 1;
  const hex = code.toString(16).toUpperCase().padStart(4, '0');
  return (
    `"target" contains ${characterClass(char)} (U+${hex}) at character ${position}. ` +
    'Control, bidirectional-formatting and invisible characters are not accepted.'
  );
}

function validPort(port: string | undefined): boolean {
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65_535);
}

function withPort(host: string, port: string | undefined): string {
  return port === undefined ? host : `${host}:${Number(port)}`;
}

// A host, IP, host:port or [v6]:port, lower-cased (host names and IPv6 hex are case-insensitive),
// with leading zeros dropped from the port. A trailing dot is kept, as the URL parser keeps it.
function normaliseHost(value: string): string | undefined {
  // A bare address first: "::1" would otherwise split as host ":" and port "1".
  if (isIP(value) !== 0) return value.toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/i.exec(value);
  if (bracketed) {
    const [, address, port] = bracketed;
    return isIP(address) === 6 && validPort(port)
      ? withPort(`[${address.toLowerCase()}]`, port)
      : undefined;
  }
  const match = HOST_PORT.exec(value);
  if (!match) return undefined;
  const [, host, port] = match;
  if (!validPort(port)) return undefined;
  // An IPv6 address with a port must be bracketed: "1::2:80" has no single reading.
  if (isIP(host) !== 4 && !HOSTNAME.test(host)) return undefined;
  return withPort(host.toLowerCase(), port);
}

// An http(s) URL as the WHATWG parser reads it: the form a scanner will fetch.
function normaliseUrl(value: string): string | undefined {
  if (!/^https?:\/\//i.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return url.hostname !== '' && url.username === '' && url.password === ''
    ? url.href
    : undefined;
}

// S-1: the stored form of a valid target, or undefined. Idempotent, so that a stored target
// and a new request's compare equal whenever they name the same thing.
export function normaliseTarget(value: string): string | undefined {
  return normaliseHost(value) ?? normaliseUrl(value);
}

// S-1: the body is optional; when present it is exactly {"target": "<host or URL>"}. Checked by
// hand, not by class-transformer, so that keys like __proto__ or $where are never copied anywhere.
export function parseCreateScanRequest(body: unknown): CreateScanRequest {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw ProblemException.badRequest(
      'invalid-request',
      'The body must be a JSON object.',
    );
  const keys = Object.keys(body);
  const unknown = keys.filter((key) => key !== 'target');
  if (unknown.length > 0) {
    const shown = unknown
      .slice(0, 5)
      .map((key) => JSON.stringify(key.slice(0, 40)));
    throw ProblemException.badRequest(
      'invalid-request',
      `Unknown field(s): ${shown.join(', ')}. Only "target" is accepted.`,
    );
  }
  const target = (body as { target?: unknown }).target;
  if (target === undefined || target === null) return {};
  if (typeof target !== 'string')
    throw ProblemException.badRequest(
      'invalid-request',
      '"target" must be a string: a host name, an IP address or an http(s) URL.',
    );
  // Before trimming: trim() would quietly drop a leading tab, newline or byte order mark.
  const refused = refusedCharacter(target);
  if (refused !== undefined)
    throw ProblemException.badRequest('invalid-request', refused);
  const trimmed = target.trim();
  if (trimmed === '' || trimmed.length > MAX_TARGET_LENGTH) {
    throw ProblemException.badRequest(
      'invalid-request',
      `"target" must be 1 to ${MAX_TARGET_LENGTH} characters long.`,
    );
  }
  const normalised = normaliseTarget(trimmed);
  if (normalised === undefined) {
    throw ProblemException.badRequest(
      'invalid-request',
      '"target" must be a host name, an IP address (optionally with a port) or an http(s) URL.',
    );
  }
  // Percent-encoding can lengthen a URL; the stored form keeps the same bound.
  if (normalised.length > MAX_TARGET_LENGTH) {
    throw ProblemException.badRequest(
      'invalid-request',
      `"target" must be at most ${MAX_TARGET_LENGTH} characters long once normalised.`,
    );
  }
  return { target: normalised };
}

export function parseIdempotencyKey(
  header: string | string[] | undefined,
): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
    throw ProblemException.badRequest(
      'invalid-request',
      'Idempotency-Key must be 1 to 255 printable ASCII characters, sent once.',
    );
  }
  return header;
}
