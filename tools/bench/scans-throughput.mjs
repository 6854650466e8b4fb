#!/usr/bin/env node
// Scan pipeline throughput: scans/s completed with trivial work, for 1 and 2 processor replicas.
// Usage: npx nx run-many -t build -p ingest processor && node tools/bench/scans-throughput.mjs [scans=400] [concurrency=8]
// Uses MONGODB_URI when set, else starts the FerretDB test DB (tools/test-db). Loopback only.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appEnv,
  freePort,
  root,
  sleep,
  spawnTracked,
  until,
  waitFor,
} from './bench-kit.mjs';

const mongoose = createRequire(join(root, 'package.json'))('mongoose');
const SCANS = Number(process.argv[2] ?? 400);
const CONCURRENCY = Number(process.argv[3] ?? 8);

async function startApp(app, env) {
  const port = await freePort();
  const child = spawnTracked(
    process.execPath,
    [join(root, 'dist/apps', app, 'main.js')],
    { env: appEnv(port, env), stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await waitFor(`http://127.0.0.1:${port}/health/live`, {
    timeoutMs: 30_000,
    message: `timed out waiting for ${app} to start`,
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise(
        (resolve) => (child.once('exit', resolve), child.kill('SIGTERM')),
      ),
  };
}

async function startDb() {
  if (process.env.MONGODB_URI)
    return { uri: process.env.MONGODB_URI, stop: async () => undefined };
  const binary = join(root, 'tools/test-db/bin/test-db');
  if (!existsSync(binary))
    execFileSync('go', ['build', '-o', 'bin/test-db', '.'], {
      cwd: join(root, 'tools/test-db'),
      stdio: 'inherit',
    });
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const child = spawnTracked(
    binary,
    ['--addr', `127.0.0.1:${port}`, '--dir', dir],
    { stdio: 'ignore' },
  );
  const uri = `mongodb://127.0.0.1:${port}/`;
  await until(
    async () => {
      const c = await mongoose
        .createConnection(uri, { serverSelectionTimeoutMS: 500 })
        .asPromise();
      await c.close();
      return true;
    },
    30_000,
    'timed out waiting for test-db',
  );
  return {
    uri,
    stop: async () => (
      child.kill('SIGTERM'),
      await sleep(300),
      rmSync(dir, { recursive: true, force: true })
    ),
  };
}

async function run(db, workers) {
  const url = new URL(db.uri);
  url.pathname = `/bench_${workers}w_${Date.now()}`;
  const uri = url.toString();
  const ingest = await startApp('ingest', { MONGODB_URI: uri });
  for (let i = 0; i < SCANS; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, SCANS - i) }, () =>
        fetch(`${ingest.url}/scans`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"target":"bench.example"}',
        }).then((r) => {
          if (r.status !== 202) throw new Error(`ingest answered ${r.status}`);
        }),
      ),
    );
  }
  await ingest.stop();
  const connection = await mongoose.createConnection(uri).asPromise();
  const scans = connection.collection('scans');
  const started = Date.now();
  const processors = await Promise.all(
    Array.from({ length: workers }, () =>
      startApp('processor', {
        MONGODB_URI: uri,
        CONCURRENCY: String(CONCURRENCY),
        FAILURE_RATE: '0',
        MIN_WORK_MS: '0',
        MAX_WORK_MS: '0',
      }),
    ),
  );
  let firstDone = 0;
  await until(
    async () => {
      const done = await scans.countDocuments({ status: 'Complete' });
      if (done > 0 && !firstDone) firstDone = Date.now();
      return done === SCANS;
    },
    600_000,
    'timed out waiting for all scans Complete',
  );
  const finished = Date.now();
  const attempts = await scans.countDocuments({ attempts: { $ne: 1 } });
  await Promise.all(processors.map((p) => p.stop()));
  await connection.close();
  const seconds = (finished - (firstDone || started)) / 1_000;
  return {
    workers,
    scans: SCANS,
    seconds: Number(seconds.toFixed(2)),
    scansPerSecond: Number((SCANS / seconds).toFixed(1)),
    notExactlyOnce: attempts,
  };
}

const db = await startDb();
try {
  console.log(
    `scans=${SCANS} concurrency=${CONCURRENCY} db=${process.env.MONGODB_URI ? 'MONGODB_URI' : 'FerretDB test-db (SQLite)'}`,
  );
  for (const workers of [1, 2])
    console.log(JSON.stringify(await run(db, workers)));
} finally {
  await db.stop();
  process.exit(0);
}
