import pino, { Level, Logger } from 'pino';

const { chindingsSym, endSym, lsCacheSym, streamSym, timeSym } = pino.symbols;

// Characters JSON.stringify escapes (quotes, backslashes, control characters, lone surrogates).
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

// A JSON string literal, the same as JSON.stringify writes it; plain strings skip the escaping.
export function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}

// A JSON number as pino writes it: non-finite numbers become null.
export function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

// pino's own parts of a line, read through its exported symbols.
type Internals = Record<symbol, unknown>;

// Writes the line `logger[level](fields, msg)` would write, for a hot event whose fields are
// known and already serialised: the level, time and bindings are pino's own, and the line goes
// to the logger's destination. `fields` is `,"key":value` pairs; it must carry none of the
// redacted paths (headers, secrets), since pino's redaction is not run on it.
export function writeJsonLine(
  logger: Logger,
  level: Level,
  fields: string,
  msg: string,
): void {
  const levelValue = logger.levels.values[level];
  if (levelValue < logger.levelVal) return;
  const parts = logger as unknown as Internals;
  const levelPart = (parts[lsCacheSym] as Record<number, string>)[levelValue];
  const time = (parts[timeSym] as () => string)();
  const stream = parts[streamSym] as { write(line: string): unknown };
  stream.write(
    `${levelPart}${time}${parts[chindingsSym] as string}${fields},"msg":${jsonString(msg)}${parts[endSym] as string}`,
  );
}
