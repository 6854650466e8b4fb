// RFC 9110 §7.6.1: these apply to one connection only and are never forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
]);

// Adds the names one Connection header value lists, lower-cased.
export function addConnectionTokens(value: string, into: Set<string>): void {
  for (const token of value.split(',')) {
    const listed = token.trim().toLowerCase();
    if (listed !== '') into.add(listed);
  }
}

// Header names the Connection header lists are hop-by-hop too. Most messages carry no
// Connection header, and share this empty set.
export const NO_CONNECTION_TOKENS: ReadonlySet<string> = new Set<string>();

export function isHopByHop(
  lowerName: string,
  listed: ReadonlySet<string>,
): boolean {
  return (
    HOP_BY_HOP.has(lowerName) ||
    lowerName.startsWith('proxy-') ||
    listed.has(lowerName)
  );
}
