import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connectionTokens, isHopByHop } from '../request/hop-by-hop';

const byName = (a: [string, string], b: [string, string]) =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

// "Exact same request": method, request-target bytes, end-to-end header fields (names without case,
// values exactly, order of distinct names ignored) and body bytes. Hop-by-hop headers do not count.
export function requestFingerprint(req: IncomingMessage, body: Buffer): string {
  const raw = req.rawHeaders;
  const listed = connectionTokens(raw);
  const fields: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (!isHopByHop(lower, listed)) fields.push([lower, raw[i + 1]]);
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
  const hash = createHash('sha256').update(head);
  if (body.length > 0) hash.update(body);
  return hash.digest('base64url');
}
