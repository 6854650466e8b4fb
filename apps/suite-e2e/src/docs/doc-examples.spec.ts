import { workspaceRoot } from '@gatehouse/shared/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  docFiles,
  readmeExamples,
  untestedCurls,
} from '../support/readme-examples';

// The README smoke test (readme.spec.ts, an e2e suite) runs these examples; this checks, without
// starting anything, that each one can be checked and that none hides where it is not run.
describe('curl examples in the README and docs/*.md', () => {
  const root = workspaceRoot();
  const docs = docFiles(root).map((file) => ({
    file,
    text: readFileSync(join(root, file), 'utf8'),
  }));

  it('each document its answer (→ <status>)', () => {
    const undocumented = docs
      .flatMap(({ file, text }) => readmeExamples(text, file))
      .filter((example) => example.expectedStatus === undefined)
      .map((e) => `${e.file} line ${e.line}: ${e.command}`);
    expect(undocumented).toEqual([]);
  });

  it('stand only in sh blocks (run) or console blocks (another set-up)', () => {
    const untested = docs.flatMap(({ file, text }) =>
      untestedCurls(text).map((line) => `${file} line ${line}`),
    );
    expect(untested).toEqual([]);
  });

  it('finds a curl in a block of another kind', () => {
    const text = [
      '```sh',
      'curl http://127.0.0.1:8080/   # → 200',
      '```',
      '```bash',
      'curl http://127.0.0.1:8080/',
      '```',
      '```console',
      'curl --proxy http://127.0.0.1:8080 http://host/',
      '```',
      'Inline `curl -d` is prose.',
    ].join('\n');
    expect(untestedCurls(text)).toEqual([5]);
  });
});
