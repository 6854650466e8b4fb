import { existsSync, readFileSync } from 'node:fs';
import {
  CONFIGURATION_DOC,
  CONFIGURATION_DOC_SCRIPT,
  configurationDoc,
} from './configuration-doc';

describe('docs/configuration.md', () => {
  it("is what the apps' config schemas generate", () => {
    const expected = configurationDoc();
    const actual = existsSync(CONFIGURATION_DOC)
      ? readFileSync(CONFIGURATION_DOC, 'utf8')
      : '';
    if (actual === expected) return;
    const want = expected.split('\n');
    const have = actual.split('\n');
    const line = want.findIndex((text, i) => text !== have[i]);
    throw new Error(
      `docs/configuration.md differs from the apps' config schemas at line ${line + 1}:\n` +
        `  file:    ${have[line] ?? '(end of file)'}\n` +
        `  schemas: ${want[line] ?? '(end of file)'}\n` +
        `Run \`${CONFIGURATION_DOC_SCRIPT}\` and commit the result.`,
    );
  });
});
