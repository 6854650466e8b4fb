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

// Header names the Connection header lists are hop-by-hop too.
// Most requests carry no Connection header, and share this empty set.
export function connectionTokens(
  rawHeaders: readonly string[],
): ReadonlySet<string> {
  let tokens: Set<string> | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue;
    tokens ??= new Set<string>();
    addConnectionTokens(rawHeaders[i + 1], tokens);
  }
  return tokens ?? NO_CONNECTION_TOKENS;
}

// Adds the names one Connection header value lists, lower-cased.
export function addConnectionTokens(value: string, into: Set<string>): void {
  for (const token of value.split(',')) {
    const listed = token.trim().toLowerCase();
    if (listed !== '') into.add(listed);
  }
}

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
