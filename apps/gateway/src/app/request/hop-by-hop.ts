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
    for (const token of rawHeaders[i + 1].split(',')) {
      const listed = token.trim().toLowerCase();
      if (listed !== '') tokens.add(listed);
    }
  }
  return tokens ?? NONE;
}

const NONE: ReadonlySet<string> = new Set<string>();

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
