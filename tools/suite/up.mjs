#!/usr/bin/env node
// `npm start`: sets up and runs the whole suite on this machine, in the foreground.
// Progress goes to stderr, one `gatehouse:` line per step; the apps' JSON log lines go to stdout.
// It waits on readiness, never on a fixed sleep: the test database answering `ping`, then each
// app's readiness endpoint. A failed step is named and ends the run with exit 1. SIGINT or SIGTERM
// stops everything gracefully and exits 0.
// Only Node's own modules are imported up front: this script runs before `npm ci`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTestDbBinary } from '../test-db/binary.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const host = '127.0.0.1';

function port(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (Number.isInteger(value) && value >= 1 && value <= 65535) return value;
  say(
    `configuration failed: ${name} must be a port number (1-65535), got "${raw}"`,
  );
  process.exit(1);
}

function say(message) {
  process.stderr.write(`gatehouse: ${message}\n`);
}

function fail(step, reason) {
  say(`${step} failed: ${reason}`);
  process.exitCode = 1;
  throw new StepFailed();
}

class StepFailed extends Error {}

const ports = {
  backend: port('BACKEND_PORT', 3000),
  gateway: port('GATEWAY_PORT', 8080),
  ingest: port('INGEST_PORT', 3001),
  status: port('STATUS_PORT', 3002),
  processor: port('PROCESSOR_PORT', 3003),
  console: port('CONSOLE_PORT', 3004),
  testDb: port('TEST_DB_PORT', 27017),
};
const url = (name) => `http://${host}:${ports[name]}`;

// Started in this order and stopped in the reverse one.
const apps = [
  { name: 'backend', ready: '/health/ready', env: {} },
  {
    name: 'gateway',
    ready: '/_gateway/health/ready',
    env: { BACKEND_URL: url('backend') },
  },
  { name: 'ingest', ready: '/health/ready', env: {} },
  { name: 'status', ready: '/health/ready', env: {} },
  { name: 'processor', ready: '/health/ready', env: {} },
];
if (existsSync(join(root, 'apps', 'console')))
  apps.push({
    name: 'console',
    // The console is ready when it serves: it reports the other apps' health itself.
    ready: '/health/live',
    env: {
      GATEWAY_URL: url('gateway'),
      INGEST_URL: url('ingest'),
      STATUS_URL: url('status'),
    },
  });

const children = [];
let stopping = false;

function run(step, command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
  if (result.error) fail(step, result.error.message);
  if (result.status !== 0) {
    process.stderr.write(
      `${result.stdout ?? ''}${result.stderr ?? ''}`.slice(-8_000),
    );
    fail(
      step,
      `${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`,
    );
  }
}

function needsInstall() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return true;
  return (
    statSync(join(root, 'package-lock.json')).mtimeMs > statSync(marker).mtimeMs
  );
}

function buildTestDb() {
  try {
    return ensureTestDbBinary({
      onBuild: () =>
        say(
          'building the test database (first run or changed sources, about a minute)',
        ),
    });
  } catch (error) {
    fail('building the test database', error.message);
  }
}

function portFree(number) {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(number, host, () => server.close(() => resolvePort(true)));
  });
}

function start(name, command, args, env) {
  const child = spawn(command, args, {
    cwd: root,
    env,
    // Apps write one JSON line per event on stdout, and a fatal start-up line on stderr.
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const entry = { name, child, exited: false };
  child.once('exit', (code, signal) => {
    entry.exited = true;
    if (stopping) return;
    say(
      `${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the suite`,
    );
    process.exitCode = 1;
    void stop();
  });
  children.push(entry);
  return entry;
}

async function waitFor(step, check, timeoutMs, entry) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (stopping) throw new StepFailed();
    if (entry?.exited) fail(step, `${entry.name} exited`);
    try {
      const outcome = await check();
      if (outcome === true) return;
      last = outcome;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  fail(step, `not ready after ${timeoutMs / 1000} s (${last})`);
}

async function httpReady(target) {
  const response = await fetch(target, { signal: AbortSignal.timeout(2_000) });
  const text = await response.text();
  return response.ok || `${response.status} ${text.slice(0, 200)}`;
}

async function mongoPing(uri) {
  const require = createRequire(join(root, 'package.json'));
  const { MongoClient } = require('mongodb');
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 1_000,
    connectTimeoutMS: 1_000,
  });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } finally {
    await client.close();
  }
}

async function stop() {
  if (stopping) return;
  stopping = true;
  say('stopping');
  for (const entry of [...children].reverse()) {
    if (entry.exited) continue;
    entry.child.kill('SIGTERM');
    const killer = setTimeout(() => entry.child.kill('SIGKILL'), 20_000);
    await new Promise((resolveExit) => {
      if (entry.exited) resolveExit();
      else entry.child.once('exit', resolveExit);
    });
    clearTimeout(killer);
  }
  say('stopped');
  process.exit(process.exitCode ?? 0);
}

async function main() {
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // If whatever started us dies without passing a signal on, stop rather than leave apps behind.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop();
  }, 1_000).unref();
  const env = {
    ...process.env,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    DO_NOT_TRACK: '1',
  };

  if (needsInstall()) {
    say('installing dependencies (npm ci)');
    run(
      'installing dependencies',
      'npm',
      ['ci', '--no-audit', '--no-fund', '--loglevel=error'],
      {
        env,
      },
    );
  }
  say('building the apps');
  run(
    'building the apps',
    'npx',
    [
      'nx',
      'run-many',
      '-t',
      'build',
      `--projects=${apps.map((app) => app.name).join(',')}`,
      '--output-style=static',
    ],
    { env },
  );

  const wanted = apps.map((app) => [app.name, ports[app.name]]);
  let mongoUri = process.env.MONGODB_URI;
  if (!mongoUri) wanted.push(['the test database', ports.testDb]);
  for (const [name, number] of wanted)
    if (!(await portFree(number)))
      fail(
        'checking ports',
        `port ${number} for ${name} is in use (stop what holds it, or set ${name === 'the test database' ? 'TEST_DB_PORT' : `${name.toUpperCase()}_PORT`})`,
      );

  if (!mongoUri) {
    const binary = buildTestDb();
    mongoUri = `mongodb://${host}:${ports.testDb}/gatehouse`;
    say(`starting the test database on ${host}:${ports.testDb}`);
    const db = start(
      'test database',
      binary,
      [
        '--addr',
        `${host}:${ports.testDb}`,
        '--dir',
        process.env.TEST_DB_DIR || join(root, '.data', 'test-db'),
        '--log-level',
        'error',
      ],
      env,
    );
    await waitFor(
      'starting the test database',
      () => mongoPing(mongoUri),
      60_000,
      db,
    );
  }

  for (const app of apps) {
    say(`starting ${app.name} on ${url(app.name)}`);
    const main = join(root, 'dist', 'apps', app.name, 'main.js');
    app.entry = start(app.name, process.execPath, [main], {
      ...env,
      HOST: process.env.HOST ?? host,
      PORT: String(ports[app.name]),
      MONGODB_URI: mongoUri,
      ...app.env,
    });
  }
  for (const app of apps)
    await waitFor(
      `starting ${app.name}`,
      () => httpReady(`${url(app.name)}${app.ready}`),
      60_000,
      app.entry,
    );

  say(
    `ready: ${apps.map((app) => `${app.name} ${url(app.name)}`).join('  ')}  (Ctrl-C stops)`,
  );
}

main().catch((error) => {
  if (!(error instanceof StepFailed)) {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
  if (stopping) return;
  // A step failed before or while apps started: stop what runs, keep the failing exit code.
  void stop();
});
