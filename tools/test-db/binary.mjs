// The test DB's binary for the scripts (`npm start`, the benchmarks): built when missing or
// older than one of its sources, so a pulled change to the test DB takes effect on the next
// run. The test helpers in libs/shared/testing make the same check for jest.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
export const testDbBinary = join(dir, 'bin', 'test-db');

export function testDbBinaryIsCurrent() {
  if (!existsSync(testDbBinary)) return false;
  const built = statSync(testDbBinary).mtimeMs;
  return readdirSync(dir)
    .filter((name) => /\.go$|^go\.(mod|sum)$/.test(name))
    .every((name) => statSync(join(dir, name)).mtimeMs <= built);
}

function findGo() {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    const probe = spawnSync(candidate, ['version'], { stdio: 'ignore' });
    if (!probe.error && probe.status === 0) return candidate;
  }
  return undefined;
}

// Returns the binary's path, building it first when needed (onBuild is called then). Throws an
// Error saying why when it cannot: no Go, or the build's own output. Built to a private name
// and renamed, so a parallel run never executes a half-written file.
export function ensureTestDbBinary({ onBuild } = {}) {
  if (testDbBinaryIsCurrent()) return testDbBinary;
  const go = findGo();
  if (!go)
    throw new Error(
      'Go >= 1.24 is required (install it into /usr/local/go), or set MONGODB_URI to a running MongoDB',
    );
  onBuild?.();
  const partial = `${testDbBinary}.${process.pid}.tmp`;
  mkdirSync(dirname(testDbBinary), { recursive: true });
  try {
    const result = spawnSync(go, ['build', '-o', partial, '.'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.error) throw result.error;
    if (result.status !== 0)
      throw new Error(
        `go build exited with ${result.status ?? result.signal}: ${`${result.stdout}${result.stderr}`.slice(-8_000)}`,
      );
    renameSync(partial, testDbBinary);
  } finally {
    rmSync(partial, { force: true });
  }
  return testDbBinary;
}

// `node tools/test-db/binary.mjs` builds it ahead of a test run: a cold build takes minutes on
// two cores, and a jest hook that waited for it would run out of time.
if (
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === process.argv[1]
) {
  ensureTestDbBinary({
    onBuild: () => console.log('building the test database (tools/test-db)'),
  });
  console.log(`test database: ${testDbBinary}`);
}
