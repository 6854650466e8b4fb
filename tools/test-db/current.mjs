// Whether tools/test-db/bin/test-db was built from the sources now in the tree: a binary older
// than any of them is rebuilt, so a pulled change to the test DB takes effect on the next run.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function testDbBinaryIsCurrent(dir, binary) {
  if (!existsSync(binary)) return false;
  const built = statSync(binary).mtimeMs;
  return readdirSync(dir)
    .filter((name) => /\.go$|^go\.(mod|sum)$/.test(name))
    .every((name) => statSync(join(dir, name)).mtimeMs <= built);
}
