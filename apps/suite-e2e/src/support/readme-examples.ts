// Reads the curl examples out of the README and the docs, so that the smoke test runs exactly
// what a reader copies. Conventions (stated in docs/testing.md):
// - every curl command in a ```sh block is run, top to bottom; blocks for other set-ups use
//   ```console, and a curl in a block of any other kind is an error;
// - each command line carries its expected answer in a comment: `→ 202`, and for a held
//   request `→ 200 after ~2 s`; a line of only a comment applies to the command under it;
// - `<scanId>` and `<nextCursor>` stand for the values that an earlier answer returned.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';

// The README first, then each topic in docs/ by name; docs/adr records decisions, not usage.
export function docFiles(root: string): string[] {
  return [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .sort()
      .map((name) => `docs/${name}`),
  ];
}

export interface ReadmeExample {
  // The file, relative to the workspace root, and the 1-based line where the command starts.
  file: string;
  line: number;
  command: string;
  expectedStatus: number | undefined;
  // Seconds, when the comment says `~N s`.
  expectedSeconds: number | undefined;
}

const EXPECTATION = /→\s*(\d{3})/;
const DURATION = /~\s*(\d+(?:\.\d+)?)\s*s\b/;

// The trailing `# ...` comment of a shell line, ignoring `#` inside quotes.
export function splitComment(text: string): { code: string; comment: string } {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"') i++;
      continue;
    }
    if (char === "'" || char === '"') quote = char;
    else if (char === '#' && (i === 0 || /\s/.test(text[i - 1])))
      return { code: text.slice(0, i).trimEnd(), comment: text.slice(i + 1) };
  }
  return { code: text.trimEnd(), comment: '' };
}

export function readmeExamples(
  markdown: string,
  file: string,
): ReadmeExample[] {
  const lines = markdown.split('\n');
  const examples: ReadmeExample[] = [];
  let inRunnable = false;
  let inFence = false;
  let pending = '';
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const fence = /^```(\S*)/.exec(raw.trim());
    if (fence) {
      inFence = !inFence;
      inRunnable = inFence && fence[1] === 'sh';
      pending = '';
      continue;
    }
    if (!inRunnable || raw.trim() === '') continue;
    const start = i;
    let text = raw;
    while (text.endsWith('\\') && i + 1 < lines.length)
      text = `${text.slice(0, -1)} ${lines[++i].trim()}`;
    const { code, comment } = splitComment(text.trim());
    if (code === '') {
      pending = `${pending} ${comment}`;
      continue;
    }
    const note = `${pending} ${comment}`;
    pending = '';
    // Only curl examples are run: `npm start` and friends stand in the same blocks.
    if (!/(^|[;&|]\s*)curl\s/.test(code)) continue;
    const status = EXPECTATION.exec(note);
    const seconds = DURATION.exec(note);
    examples.push({
      file,
      line: start + 1,
      command: code,
      expectedStatus: status ? Number(status[1]) : undefined,
      expectedSeconds: seconds ? Number(seconds[1]) : undefined,
    });
  }
  return examples;
}

// Lines with a curl command in a fenced block that is neither run (```sh) nor marked as needing
// another set-up (```console): an example nobody would test.
export function untestedCurls(markdown: string): number[] {
  const lines = markdown.split('\n');
  const found: number[] = [];
  let fence: string | undefined;
  lines.forEach((raw, i) => {
    const open = /^```(\S*)/.exec(raw.trim());
    if (open) {
      fence = fence === undefined ? open[1] : undefined;
      return;
    }
    if (
      fence !== undefined &&
      fence !== 'sh' &&
      fence !== 'console' &&
      /(^|[;&|]\s*)curl\s/.test(splitComment(raw.trim()).code)
    )
      found.push(i + 1);
  });
  return found;
}

// The docs speak of the default ports; a test suite runs on free ones.
export function withPorts(
  command: string,
  ports: Record<number, number>,
): string {
  return command.replace(
    /\b(127\.0\.0\.1|localhost):(\d+)\b/g,
    (match, host: string, port: string) =>
      ports[Number(port)] ? `${host}:${ports[Number(port)]}` : match,
  );
}
