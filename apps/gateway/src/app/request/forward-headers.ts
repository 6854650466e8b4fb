import type { IncomingMessage } from 'node:http';
import { REQUEST_ID_HEADER } from '@gatehouse/shared/logging';
import { HeaderNames, readHeaderNames } from './header-names';
import {
  addConnectionTokens,
  isHopByHop,
  NO_CONNECTION_TOKENS,
} from './hop-by-hop';

// Set by the gateway itself, so the client's copy is dropped and replaced.
const REPLACED = new Set([
  'host',
  REQUEST_ID_HEADER,
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'expect',
]);

export interface ForwardingIdentity {
  upstreamHost: string;
  requestId: string;
  peer: string;
  extra?: readonly string[];
}

// The end-to-end request headers in their original order and case, plus the gateway's own.
export function upstreamRequestHeaders(
  req: IncomingMessage,
  identity: ForwardingIdentity,
  names: HeaderNames = readHeaderNames(req.rawHeaders),
): string[] {
  const raw = req.rawHeaders;
  const { listed } = names;
  const extra = identity.extra;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = names.lower[i >> 1];
    if (isHopByHop(lower, listed) || REPLACED.has(lower)) continue;
    // A client's copy of a header the gateway sets itself (x-my-jwt) is never passed on.
    if (extra !== undefined && setByGateway(lower, extra)) continue;
    headers.push(raw[i], raw[i + 1]);
  }
  // A client's X-Forwarded-* that its Connection header names is hop-by-hop: it was removed
  // above, so the gateway's own values are set after that removal, not appended to it.
  const endToEnd = (name: string) =>
    listed.has(name) ? undefined : req.headers[name];
  const forwardedFor = endToEnd('x-forwarded-for');
  const forwardedProto = endToEnd('x-forwarded-proto');
  const forwardedHost = endToEnd('x-forwarded-host');
  const proto =
    'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
  headers.push(
    'host',
    identity.upstreamHost,
    REQUEST_ID_HEADER,
    identity.requestId,
    'x-forwarded-for',
    append(forwardedFor, identity.peer),
    'x-forwarded-proto',
    append(forwardedProto, proto),
  );
  const originalHost = req.headers.host;
  if (originalHost !== undefined)
    headers.push('x-forwarded-host', append(forwardedHost, originalHost));
  if (extra) headers.push(...extra);
  return headers;
}

function setByGateway(lowerName: string, extra: readonly string[]): boolean {
  for (let i = 0; i < extra.length; i += 2)
    if (extra[i] === lowerName) return true;
  return false;
}

function append(
  existing: string | string[] | undefined,
  value: string,
): string {
  if (existing === undefined || existing === '') return value;
  return `${Array.isArray(existing) ? existing.join(', ') : existing}, ${value}`;
}

// The upstream's end-to-end response headers, ready for writeHead.
export function clientResponseHeaders(
  upstream: Record<string, string | string[] | undefined>,
  requestId: string,
): Record<string, string | string[]> {
  const connection = upstream['connection'];
  let listed = NO_CONNECTION_TOKENS;
  if (connection !== undefined) {
    const tokens = new Set<string>();
    addConnectionTokens(
      Array.isArray(connection) ? connection.join(',') : connection,
      tokens,
    );
    listed = tokens;
  }
  const headers: Record<string, string | string[]> = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || isHopByHop(name, listed)) continue;
    headers[name] = value;
  }
  headers[REQUEST_ID_HEADER] = requestId;
  return headers;
}

// The same, from the upstream's raw header lines as undici's dispatcher hands them over, as
// the flat name/value list writeHead takes without a setHeader per field: the request id first,
// then the end-to-end fields in the upstream's order. One pass finds what Connection lists,
// one copies.
export function clientResponseHeaderList(
  raw: readonly Buffer[],
  requestId: string,
): string[] {
  const count = raw.length;
  const names: string[] = new Array<string>(count >> 1);
  let listed: Set<string> | undefined;
  for (let i = 0; i < count; i += 2) {
    const name = raw[i].toString('latin1').toLowerCase();
    names[i >> 1] = name;
    if (name === 'connection') {
      const value = raw[i + 1].toString('latin1');
      // The usual "keep-alive" lists only a field that is hop-by-hop anyway.
      if (value.length === 10 && value.toLowerCase() === 'keep-alive') continue;
      listed ??= new Set<string>();
      addConnectionTokens(value, listed);
    }
  }
  const headers: string[] = [REQUEST_ID_HEADER, requestId];
  for (let i = 0; i < count; i += 2) {
    const name = names[i >> 1];
    if (
      name === REQUEST_ID_HEADER ||
      isHopByHop(name, listed ?? NO_CONNECTION_TOKENS)
    )
      continue;
    headers.push(name, raw[i + 1].toString('latin1'));
  }
  return headers;
}
