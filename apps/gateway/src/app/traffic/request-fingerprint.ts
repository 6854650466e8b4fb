import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connectionTokens, isHopByHop } from '../proxy/hop-by-hop';

// "Exact same request": method, request-target bytes, end-to-end header fields (names without case,
// values exactly, order of distinct names ignored) and body bytes. Hop-by-hop headers do not count.
export function requestFingerprint(req: IncomingMessage, body: Buffer): string {
  const raw = req.rawHeaders;
  const listed = connectionTokens(raw);
  const fields: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (!isHopByHop(lower, listed)) fields.push(`${lower}:${raw[i + 1]}`);
  }
  // A stable sort keeps repeated fields of one name in their original order.
  fields.sort((a, b) => {
    const nameA = a.slice(0, a.indexOf(':'));
    const nameB = b.slice(0, b.indexOf(':'));
    return nameA < nameB ? -1 : nameA > nameB ? 1 : 0;
  });
  const hash = createHash('sha256');
  hash.update(`${req.method ?? ''}\n${req.url ?? ''}\n${fields.length}\n`);
  for (const field of fields) hash.update(`${field.length}:${field}\n`);
  hash.update(body);
  return hash.digest('base64url');
}
