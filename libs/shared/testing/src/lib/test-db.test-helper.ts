import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { freePort, sleep, workspaceRoot } from './workspace.test-helper';

export interface TestDb {
  uri: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface TestDbOptions {
  // Defaults: a free port and a fresh temporary directory that stop() deletes.
  port?: number;
  // A directory of your own is kept by stop(), so a test can restart the DB on the same data.
  dataDir?: string;
  timeoutMs?: number;
}

const GO_MISSING =
  'Go >= 1.24 is required to build the test database (tools/test-db, FerretDB embedded). ' +
  'Install it from https://go.dev/dl/ (unpack into /usr/local/go and add /usr/local/go/bin to PATH), ' +
  'or set MONGODB_URI to a running MongoDB to use that instead.';

function findGo(): string {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    try {
      execFileSync(candidate, ['version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // Not this one; try the next.
    }
  }
  throw new Error(GO_MISSING);
}

// Built once and cached: a cold build of FerretDB takes over a minute on two cores. Rebuilt when
// a source is newer than the binary (tools/test-db/binary.mjs makes the same check for scripts).
export function testDbBinary(): string {
  const dir = join(workspaceRoot(), 'tools', 'test-db');
  const binary = join(dir, 'bin', 'test-db');
  if (builtFromCurrentSources(dir, binary)) return binary;
  const go = findGo();
  // Build to a private name and rename, so parallel test runs never execute a half-written file.
  const partial = `${binary}.${process.pid}.tmp`;
  try {
    execFileSync(go, ['build', '-o', partial, '.'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    rmSync(partial, { force: true });
    throw new Error(`building ${binary} failed: ${stderr || String(error)}`);
  }
  renameSync(partial, binary);
  return binary;
}

function builtFromCurrentSources(dir: string, binary: string): boolean {
  if (!existsSync(binary)) return false;
  const built = statSync(binary).mtimeMs;
  return readdirSync(dir)
    .filter((name) => /\.go$|^go\.(mod|sum)$/.test(name))
    .every((name) => statSync(join(dir, name)).mtimeMs <= built);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(port, '127.0.0.1');
  });
}

async function pings(uri: string): Promise<boolean> {
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: 1_000,
  });
  try {
    await connection.asPromise();
    const db = connection.db;
    if (!db) return false;
    await db.admin().ping();
    return true;
  } catch {
    return false;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

// Starts a fresh, empty test database on a free port; stop() kills it and deletes its data.
export async function startTestDb(
  options: TestDbOptions = {},
): Promise<TestDb> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const binary = testDbBinary();
  const port = options.port ?? (await freePort());
  const ownDir = options.dataDir === undefined;
  const dataDir =
    options.dataDir ?? mkdtempSync(join(tmpdir(), 'gatehouse-test-db-'));
  const child = spawn(
    binary,
    ['--addr', `127.0.0.1:${port}`, '--dir', dataDir],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const uri = `mongodb://127.0.0.1:${port}/`;
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exitOf(child);
      clearTimeout(timer);
    }
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(
        `test-db exited during start-up (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`,
      );
    }
    if ((await portOpen(port)) && (await pings(uri)))
      return { uri, port, dataDir, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `test-db did not answer a MongoDB ping on port ${port} within ${timeoutMs} ms: ${stderr.trim()}`,
      );
    }
    await sleep(50);
  }
}

// The same tests run against a real MongoDB when MONGODB_URI is set; otherwise against the test DB.
export async function ensureMongoUri(): Promise<{
  uri: string;
  stop(): Promise<void>;
}> {
  const existing = process.env['MONGODB_URI'];
  if (existing) return { uri: existing, stop: async () => undefined };
  const db = await startTestDb();
  process.env['MONGODB_URI'] = db.uri;
  return {
    uri: db.uri,
    stop: async () => {
      if (process.env['MONGODB_URI'] === db.uri)
        delete process.env['MONGODB_URI'];
      await db.stop();
    },
  };
}
