import {
  CreateScanRequest,
  SCAN_KINDS,
  ScanKind,
} from '@gatehouse/shared/contracts';
import { ProblemException } from '@gatehouse/shared/http';
import type { ScanScope } from '@gatehouse/scans/target-scope';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

const MAX_TARGET_LENGTH = 2_048;
// Labels as resolvers take them: letters, digits, hyphens and underscores (random_domain.co.il).
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;
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
function refusedCharacter(value: string, field = 'target'): string | undefined {
  const index = value.search(REFUSED_CHARACTER);
  if (index === -1) return undefined;
  const code = value.codePointAt(index) as number;
  const char = String.fromCodePoint(code);
  const position = [...value.slice(0, index)].length + 1;
  const hex = code.toString(16).toUpperCase().padStart(4, '0');
  return (
    `"${field}" contains ${characterClass(char)} (U+${hex}) at character ${position}. ` +
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
  if (isIP(host) === 4) return withPort(host, port);
  const ascii = asciiHostName(host);
  return ascii === undefined ? undefined : withPort(ascii, port);
}

// A Unicode name in its IDNA (punycode) form, as url.domainToASCII gives it; ASCII names are
// only lower-cased. Undefined when the name is not one.
function asciiHostName(host: string): string | undefined {
  // domainToASCII stops at a "/" or ":" and maps some characters away, so it only sees names
  // that contain neither, and its answer is checked like any ASCII name.
  let ascii = host.toLowerCase();
  if (/[^\x20-\x7e]/.test(host))
    ascii = /[/:?#@[\]\\%\s]/.test(host) ? '' : domainToASCII(host);
  return ascii !== '' && HOSTNAME.test(ascii) ? ascii : undefined;
}

// A host (or host:port) followed by a path, query or fragment, with no scheme: read as https,
// the scheme an http scan assumes, and stored as that URL.
function normaliseHostWithPath(value: string): string | undefined {
  const split = value.search(/[/?#]/);
  if (split <= 0 || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  const host = normaliseHost(value.slice(0, split));
  return host === undefined
    ? undefined
    : normaliseUrl(`https://${host}${value.slice(split)}`);
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
  return (
    normaliseHost(value) ?? normaliseUrl(value) ?? normaliseHostWithPath(value)
  );
}

// The host name a stored target names, as the WHATWG URL parser reads it (so "0x7f.1" is
// 127.0.0.1): what S-15's scope judges.
export function targetHostName(target: string): string {
  if (isIP(target) === 6) return `[${target}]`;
  const url = new URL(
    /^https?:\/\//i.test(target) ? target : `https://${target}`,
  );
  return url.hostname;
}

// S-15: a target that is out of scope by its literal form is refused before it is stored.
export function checkTargetScope(target: string, scope: ScanScope): void {
  const refused = scope.checkLiteral(targetHostName(target));
  if (refused !== null)
    throw ProblemException.badRequest(
      'target-out-of-scope',
      `"target" is out of scope: ${refused}.`,
    );
}

const FIELDS = ['target', 'kind', 'callbackUrl'];

function parseKind(kind: unknown): ScanKind | undefined {
  if (kind === undefined || kind === null) return undefined;
  if (
    typeof kind === 'string' &&
    (SCAN_KINDS as readonly string[]).includes(kind)
  )
    return kind as ScanKind;
  throw ProblemException.badRequest(
    'invalid-request',
    `"kind" must be one of ${SCAN_KINDS.join(', ')}.`,
  );
}

// S-1, S-4: the body is optional; when present it is {"target": "<host or URL>", "kind": ...},
// as JSON or as a form. Checked by hand, not by class-transformer, so that keys like __proto__
// or $where are never copied anywhere.
export function parseCreateScanRequest(body: unknown): CreateScanRequest {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw ProblemException.badRequest(
      'invalid-request',
      'The body must be a JSON object.',
    );
  const keys = Object.keys(body);
  const unknown = keys.filter((key) => !FIELDS.includes(key));
  if (unknown.length > 0) {
    const shown = unknown
      .slice(0, 5)
      .map((key) => JSON.stringify(key.slice(0, 40)));
    throw ProblemException.badRequest(
      'invalid-request',
      `Unknown field(s): ${shown.join(', ')}. Only "target", "kind" and "callbackUrl" are accepted.`,
    );
  }
  const kind = parseKind((body as { kind?: unknown }).kind);
  const target = parseTarget((body as { target?: unknown }).target);
  const callbackUrl = parseCallbackUrl(
    (body as { callbackUrl?: unknown }).callbackUrl,
  );
  return {
    ...(target === undefined ? {} : { target }),
    ...(kind === undefined ? {} : { kind }),
    ...(callbackUrl === undefined ? {} : { callbackUrl }),
  };
}

// S-19: an absolute http(s) URL without credentials, in the WHATWG parser's form.
function parseCallbackUrl(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const refused =
    typeof value === 'string'
      ? refusedCharacter(value, 'callbackUrl')
      : undefined;
  if (refused !== undefined)
    throw ProblemException.badRequest('invalid-request', refused);
  const url =
    typeof value === 'string' && value.trim().length <= MAX_TARGET_LENGTH
      ? normaliseUrl(value.trim())
      : undefined;
  if (url === undefined || url.length > MAX_TARGET_LENGTH)
    throw ProblemException.badRequest(
      'invalid-request',
      `"callbackUrl" must be an absolute http(s) URL without credentials, at most ${MAX_TARGET_LENGTH} characters long.`,
    );
  return url;
}

// S-19: a callback is held to the same scope as a target (S-15), by its literal form here.
export function checkCallbackScope(
  callbackUrl: string,
  scope: ScanScope,
): void {
  const refused = scope.checkLiteral(new URL(callbackUrl).hostname);
  if (refused !== null)
    throw ProblemException.badRequest(
      'callback-out-of-scope',
      `"callbackUrl" is out of scope: ${refused}.`,
    );
}

function parseTarget(target: unknown): string | undefined {
  if (target === undefined || target === null) return undefined;
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
  return normalised;
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
