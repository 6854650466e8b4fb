import { addConnectionTokens, NO_CONNECTION_TOKENS } from './hop-by-hop';

// A request's header names lower-cased, in rawHeaders order, and the names its Connection
// header lists: read once per request, for the fingerprint and the upstream headers alike.
export interface HeaderNames {
  readonly lower: readonly string[];
  readonly listed: ReadonlySet<string>;
}

export function readHeaderNames(raw: readonly string[]): HeaderNames {
  const lower: string[] = new Array<string>(raw.length >> 1);
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    lower[i >> 1] = name;
    if (name === 'connection') {
      listed ??= new Set<string>();
      addConnectionTokens(raw[i + 1], listed);
    }
  }
  return { lower, listed: listed ?? NO_CONNECTION_TOKENS };
}
