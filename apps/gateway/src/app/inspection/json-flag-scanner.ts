// A single-pass JSON validator that reports whether a key carries a flag value anywhere.
// JSON.parse cannot be used: it keeps only the last of duplicate keys and has no depth bound.

export type ScanResult =
  | { kind: 'valid'; flagged: boolean }
  | { kind: 'invalid' }
  | { kind: 'too-deep' };

class Invalid extends Error {}
class TooDeep extends Error {}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const SIMPLE_ESCAPES = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export class JsonFlagScanner {
  private text = '';
  private pos = 0;
  private flagged = false;

  constructor(
    private readonly key: string,
    private readonly maxDepth: number,
  ) {}

  scan(text: string): ScanResult {
    this.text = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    this.pos = 0;
    this.flagged = false;
    try {
      this.skipWhitespace();
      this.value(0);
      this.skipWhitespace();
      if (this.pos !== this.text.length) throw new Invalid();
      return { kind: 'valid', flagged: this.flagged };
    } catch (error) {
      if (error instanceof TooDeep) return { kind: 'too-deep' };
      if (error instanceof Invalid) return { kind: 'invalid' };
      throw error;
    }
  }

  private skipWhitespace(): void {
    while (
      this.pos < this.text.length &&
      WHITESPACE.has(this.text.charCodeAt(this.pos))
    )
      this.pos++;
  }

  // Returns what the flag test needs: the decoded string, the literal true, or a number's text.
  private value(depth: number): {
    type: 'string' | 'number' | 'true' | 'other';
    text?: string;
  } {
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x7b /* { */) {
      this.object(depth + 1);
      return { type: 'other' };
    }
    if (c === 0x5b /* [ */) {
      this.array(depth + 1);
      return { type: 'other' };
    }
    if (c === 0x22 /* " */) return { type: 'string', text: this.string() };
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39))
      return { type: 'number', text: this.number() };
    if (this.text.startsWith('true', this.pos)) {
      this.pos += 4;
      return { type: 'true' };
    }
    if (this.text.startsWith('false', this.pos)) {
      this.pos += 5;
      return { type: 'other' };
    }
    if (this.text.startsWith('null', this.pos)) {
      this.pos += 4;
      return { type: 'other' };
    }
    throw new Invalid();
  }

  private object(depth: number): void {
    if (depth > this.maxDepth) throw new TooDeep();
    this.pos++;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x7d /* } */) {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== 0x22) throw new Invalid();
      const name = this.string();
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 0x3a /* : */) throw new Invalid();
      this.pos++;
      this.skipWhitespace();
      const member = this.value(depth);
      // Every occurrence counts, so a later duplicate cannot hide an earlier flag.
      if (name === this.key && isFlag(member)) this.flagged = true;
      this.skipWhitespace();
      const next = this.text.charCodeAt(this.pos++);
      if (next === 0x7d) return;
      if (next !== 0x2c /* , */) throw new Invalid();
      this.skipWhitespace();
    }
  }

  private array(depth: number): void {
    if (depth > this.maxDepth) throw new TooDeep();
    this.pos++;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x5d /* ] */) {
      this.pos++;
      return;
    }
    for (;;) {
      this.value(depth);
      this.skipWhitespace();
      const next = this.text.charCodeAt(this.pos++);
      if (next === 0x5d) return;
      if (next !== 0x2c) throw new Invalid();
      this.skipWhitespace();
    }
  }

  private string(): string {
    const start = ++this.pos;
    let decoded: string | undefined;
    let chunkStart = start;
    for (;;) {
      if (this.pos >= this.text.length) throw new Invalid();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x22) {
        const tail = this.text.slice(chunkStart, this.pos++);
        return decoded === undefined ? tail : decoded + tail;
      }
      if (c < 0x20) throw new Invalid();
      if (c !== 0x5c /* \ */) {
        this.pos++;
        continue;
      }
      // Escapes are decoded so that "is_malici\u006fus" is the same key.
      decoded = (decoded ?? '') + this.text.slice(chunkStart, this.pos);
      const escape = this.text[this.pos + 1];
      const simple =
        escape === undefined ? undefined : SIMPLE_ESCAPES.get(escape);
      if (simple !== undefined) {
        decoded += simple;
        this.pos += 2;
      } else if (escape === 'u') {
        const hexDigits = this.text.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hexDigits)) throw new Invalid();
        decoded += String.fromCharCode(parseInt(hexDigits, 16));
        this.pos += 6;
      } else {
        throw new Invalid();
      }
      chunkStart = this.pos;
    }
  }

  private number(): string {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) throw new Invalid();
    this.pos += match[0].length;
    return match[0];
  }
}

// A flag is true, a non-zero number, or the string "true" in any case.
function isFlag(member: { type: string; text?: string }): boolean {
  switch (member.type) {
    case 'true':
      return true;
    case 'number':
      // Any non-zero digit in the mantissa: 1e-400 is not zero even though it underflows.
      return /[1-9]/.test((member.text ?? '').split(/[eE]/)[0]);
    case 'string':
      return (member.text ?? '').toLowerCase() === 'true';
    default:
      return false;
  }
}
