// Plumbing shared by the benchmark scripts in this folder, so each script holds only what it measures.
import axios from 'axios';
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Options are `--name value` pairs in any order; a number default makes that option a number.
export function parseArgs(argv, defaults) {
  const given = {};
  argv.forEach((arg, i) => {
    // --also-node is read as alsoNode.
    if (arg.startsWith('--'))
      given[arg.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] =
        argv[i + 1];
  });
  return Object.fromEntries(
    Object.entries(defaults).map(([name, fallback]) => {
      const value = given[name] ?? fallback;
      return [name, typeof fallback === 'number' ? Number(value) : value];
    }),
  );
}

// Children spawned by a benchmark must not outlive it, even when it throws.
const children = [];
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

export function spawnTracked(command, args, options) {
  const child = spawn(command, args, options);
  children.push(child);
  return child;
}

// Only PATH is inherited, so settings left in the caller's shell cannot skew a benchmark.
export function appEnv(port, env) {
  return {
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    ...env,
  };
}

// Output goes to a file in tmpdir, so it stays readable after a failed run without cluttering the tables.
export function spawnLogged(logName, command, args, env) {
  const out = openSync(join(tmpdir(), `${logName}.log`), 'w');
  return spawnTracked(command, args, {
    cwd: root,
    env,
    stdio: ['ignore', out, out],
  });
}

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// A probe that throws counts as "not yet".
export async function until(probe, timeoutMs, message, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(message);
    await sleep(everyMs);
  }
}

// anyStatus: an upstream that answers at all is up, whatever its status.
export function waitFor(
  url,
  {
    timeoutMs = 10_000,
    anyStatus = false,
    message = `${url} never answered`,
  } = {},
) {
  return until(
    async () => {
      const response = await axios.get(url, {
        validateStatus: () => true,
        timeout: 2_000,
      });
      return anyStatus || (response.status >= 200 && response.status < 300);
    },
    timeoutMs,
    message,
  );
}

// SCAN rather than KEYS, so a shared Redis is never blocked while a run cleans up after itself.
export async function deleteKeysWithPrefix(redis, prefix) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(
      cursor,
      'MATCH',
      `${prefix}*`,
      'COUNT',
      1000,
    );
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
