import { createHash, hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HeaderNames, readHeaderNames } from '../request/header-names';
import { isHopByHop } from '../request/hop-by-hop';

const byName = (a: [string, string], b: [string, string]) =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

// "Exact same request": method, request-target bytes, end-to-end header fields (names without case,
// values exactly, order of distinct names ignored) and body bytes. Hop-by-hop headers do not count.
export function requestFingerprint(
  req: IncomingMessage,
  body: Buffer,
  names: HeaderNames = readHeaderNames(req.rawHeaders),
): string {
  const raw = req.rawHeaders;
  const { lower, listed } = names;
  const fields: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = lower[i >> 1];
    if (!isHopByHop(name, listed)) fields.push([name, raw[i + 1]]);
  }
  // A stable sort keeps repeated fields of one name in their original order.
  fields.sort(byName);
  // Length-prefixed parts, so no bytes can shift from one part into the next. The parts are
  // joined first: one hash update for the head costs less than one per field.
  const method = req.method ?? '';
  const target = req.url ?? '';
  let head = `${method.length}:${method}${target.length}:${target}${fields.length}\n`;
  for (const [name, value] of fields)
    head += `${name.length}:${name}${value.length}:${value}`;
  // Without a body, one call hashes the head (no Hash object per request).
  if (body.length === 0) return hash('sha256', head, 'base64url');
  return createHash('sha256').update(head).update(body).digest('base64url');
}
