#!/usr/bin/env node
// Scan queue at scale (S-6, S-13): prints figures, asserts nothing.
//  1. Throughput: scans/s completed with trivial work (MIN_WORK_MS=MAX_WORK_MS=0) by 1, 2 and 4
//     processor replicas, with an empty history and with --history finished scans already stored.
//  2. Database commands per scan for poll, claim, renew and finish, counted by the processors
//     with the driver's command monitoring (scan_store_commands_total on their /metrics).
//  3. Recovery: a worker holding scans is killed (SIGKILL) with --backlog Accepted scans queued
//     behind them; how long until another worker has claimed each of them again.
// Usage: npx nx run-many -t build -p ingest processor && node tools/bench/scans-throughput.mjs
//        [--scans 1000] [--history 10000] [--concurrency 8] [--workers 1,2,4] [--backlog 500]
//        [--parts throughput,renew,recovery] [--summary-poll-ms 500] [--rounds 1]
// --rounds N: the throughput grid is run N times, one round after another, so that every
// configuration meets the same stretches of machine noise; the table gives each configuration's
// median and range, and how many rounds 2 workers beat 1 in.
// --summary-poll-ms N: during each throughput run, a reader polls the status app's
// GET /scans/summary every N ms, as an operator's console does (S-11); its answer times are
// reported beside the throughput.
// Uses MONGODB_URI when set, else starts the FerretDB test DB (tools/test-db). Loopback only.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appEnv,
  freePort,
  parseArgs,
  root,
  sleep,
  spawnLogged,
  spawnTracked,
  until,
  waitFor,
} from './bench-kit.mjs';
import { ensureTestDbBinary } from '../test-db/binary.mjs';

const mongoose = createRequire(join(root, 'package.json'))('mongoose');
const args = parseArgs(process.argv.slice(2), {
  scans: 1000,
  history: 10000,
  concurrency: 8,
  workers: '1,2,4',
  backlog: 500,
  parts: 'throughput,renew,recovery',
  summaryPollMs: 0,
  rounds: 1,
});
const ROUNDS = Math.max(1, Number(args.rounds));
const SUMMARY_POLL_MS = Number(args.summaryPollMs);
const PARTS = new Set(String(args.parts).split(','));
const WORKER_COUNTS = String(args.workers).split(',').map(Number);
const LEASE_MS = 2_000;
const POLL_MAX_MS = 500;

// CPU seconds a process has used (user + system), from /proc/<pid>/stat; null off Linux or once
// it has exited. Fields 14 and 15 count clock ticks, 100 per second on Linux.
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

let started = 0;
// Each app's log lines go to a file in tmpdir, so a failed run can be read afterwards.
async function startApp(app, env) {
  const port = await freePort();
  const child = spawnLogged(
    `gatehouse-bench-${process.pid}-${app}-${++started}`,
    process.execPath,
    // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof" profiles every app the run starts.
    [
      ...(process.env.BENCH_NODE_ARGS?.split(' ') ?? []),
      join(root, 'dist/apps', app, 'main.js'),
    ],
    appEnv(port, env),
  );
  await waitFor(`http://127.0.0.1:${port}/health/ready`, {
    timeoutMs: 60_000,
    message: `timed out waiting for ${app} to start`,
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    stop: (signal = 'SIGTERM') => (child.kill(signal), exited),
  };
}

async function startDb() {
  if (process.env.MONGODB_URI)
    return { uri: process.env.MONGODB_URI, stop: async () => undefined };
  const binary = ensureTestDbBinary();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const child = spawnTracked(
    binary,
    ['--addr', `127.0.0.1:${port}`, '--dir', dir, '--log-level', 'error'],
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
    pid: child.pid,
    stop: async () => (
      child.kill('SIGTERM'),
      await sleep(300),
      rmSync(dir, { recursive: true, force: true })
    ),
  };
}

function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[mid]
    : Number(((sorted[mid - 1] + sorted[mid]) / 2).toFixed(2));
}

function databaseUri(db, name) {
  const url = new URL(db.uri);
  url.pathname = `/${name}_${Date.now()}`;
  return url.toString();
}

// Finished scans as the processor leaves them: the view, and a claim and an end in the log.
async function seedHistory(connection, count) {
  const at = new Date(Date.now() - 3_600_000);
  for (let done = 0; done < count; done += 1_000) {
    const scans = [];
    const attempts = [];
    for (let i = done; i < Math.min(count, done + 1_000); i++) {
      const scanId = randomUUID();
      scans.push({
        scanId,
        status: 'Complete',
        target: 'history.example',
        attempts: 1,
        createdAt: at,
        updatedAt: at,
        startedAt: at,
        finishedAt: at,
        error: null,
        workerId: 'seed',
        leaseUntil: null,
      });
      attempts.push(
        {
          _id: `${scanId}:1`,
          scanId,
          seq: 1,
          kind: 'claim',
          attempt: 1,
          workerId: 'seed',
          at,
          leaseUntil: at,
        },
        {
          _id: `${scanId}:2`,
          scanId,
          seq: 2,
          kind: 'end',
          attempt: 1,
          workerId: 'seed',
          at,
          status: 'Complete',
        },
      );
    }
    await connection.collection('scans').insertMany(scans, { ordered: false });
    await connection
      .collection('scan_attempts')
      .insertMany(attempts, { ordered: false });
  }
  // S-11: a system that finished these scans counted them as it went: its counters hold them.
  await connection.collection('scan_counters').updateOne(
    { _id: 'base' },
    {
      $set: {
        Accepted: 0,
        Running: 0,
        Complete: count,
        Failed: 0,
        updatedAt: at,
      },
    },
    { upsert: true },
  );
}

async function queueScans(uri, count) {
  const ingest = await startApp('ingest', { MONGODB_URI: uri });
  for (let i = 0; i < count; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, () =>
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
}

// Sums scan_store_{commands,operations}_total by operation over the processors' /metrics.
async function storeCounts(processors) {
  const commands = {};
  const operations = {};
  for (const p of processors) {
    const text = await (await fetch(`${p.url}/metrics`)).text();
    for (const line of text.split('\n')) {
      const match =
        /^scan_store_(commands|operations)_total\{operation="([^"]+)"[^}]*\} (\d+)/.exec(
          line,
        );
      if (!match) continue;
      const into = match[1] === 'commands' ? commands : operations;
      into[match[2]] = (into[match[2]] ?? 0) + Number(match[3]);
    }
  }
  return { commands, operations };
}

async function finished(processors) {
  let total = 0;
  for (const p of processors) {
    const text = await (await fetch(`${p.url}/metrics`)).text();
    // A scan Failed because its attempts ran out is finished too.
    for (const match of text.matchAll(
      /^scans_(?:finished_total\{[^}]*\}|exhausted_total) (\d+)/gm,
    ))
      total += Number(match[1]);
  }
  return total;
}

const perScan = (counts, scans) =>
  Object.fromEntries(
    ['poll', 'claim', 'renew', 'finish', 'counters'].map((op) => [
      op,
      Number(((counts.commands[op] ?? 0) / scans).toFixed(2)),
    ]),
  );

async function throughput(db, workers, history) {
  const uri = databaseUri(db, `bench_${workers}w_${history}h`);
  const connection = await mongoose.createConnection(uri).asPromise();
  await seedHistory(connection, history);
  await queueScans(uri, args.scans);
  const processors = await Promise.all(
    Array.from({ length: workers }, () =>
      startApp('processor', {
        MONGODB_URI: uri,
        CONCURRENCY: String(args.concurrency),
        FAILURE_RATE: '0',
        MIN_WORK_MS: '0',
        MAX_WORK_MS: '0',
      }),
    ),
  );
  // S-11: an operator's screen polling the summary while the queue works.
  const status =
    SUMMARY_POLL_MS > 0
      ? await startApp('status', { MONGODB_URI: uri })
      : undefined;
  const summaryMs = [];
  let polling = status !== undefined;
  const reader = (async () => {
    while (polling) {
      const at = performance.now();
      const answer = await fetch(`${status.url}/scans/summary`);
      await answer.arrayBuffer();
      summaryMs.push(performance.now() - at);
      await sleep(SUMMARY_POLL_MS);
    }
  })();
  // CPU used within the timed window, per scan: where the time goes (the test DB's only when
  // this run started it).
  const cpuOf = () => [db.pid, ...processors.map((p) => p.pid)].map(cpuSeconds);
  const cpuBefore = cpuOf();
  const started = Date.now();
  // Progress comes from the processors' own counters, so watching costs the database nothing;
  // read every 200 ms, so that scraping costs the processors little (the end is late by < 0.2 s).
  await until(
    async () => (await finished(processors)) >= args.scans,
    600_000,
    'timed out waiting for every scan to finish',
    200,
  );
  const seconds = (Date.now() - started) / 1_000;
  const cpuAfter = cpuOf();
  const cpuMsPerScan = (from, to) => {
    let used = 0;
    for (let i = from; i < to; i++) {
      if (cpuBefore[i] === null || cpuAfter[i] === null) return null;
      used += cpuAfter[i] - cpuBefore[i];
    }
    return Number(((used * 1_000) / args.scans).toFixed(1));
  };
  polling = false;
  await reader;
  await status?.stop();
  summaryMs.sort((a, b) => a - b);
  const counts = await storeCounts(processors);
  await Promise.all(processors.map((p) => p.stop()));
  const scans = connection.collection('scans');
  const complete = await scans.countDocuments({ status: 'Complete' });
  const notExactlyOnce = await scans.countDocuments({
    workerId: { $ne: 'seed' },
    attempts: { $ne: 1 },
  });
  await connection.dropDatabase();
  await connection.close();
  return {
    workers,
    history,
    scans: args.scans,
    seconds: Number(seconds.toFixed(2)),
    scansPerSecond: Number((args.scans / seconds).toFixed(1)),
    completeOfAll: `${complete}/${args.scans + history}`,
    notExactlyOnce,
    commandsPerScan: perScan(counts, args.scans),
    cpuMsPerScan: {
      db: db.pid ? cpuMsPerScan(0, 1) : null,
      processors: cpuMsPerScan(1, cpuBefore.length),
    },
    ...(status
      ? {
          summaryReads: summaryMs.length,
          summaryMedianMs: Number(
            (summaryMs[Math.floor(summaryMs.length / 2)] ?? 0).toFixed(1),
          ),
        }
      : {}),
  };
}

// Renewals need work that outlives a third of the lease: 24 scans of 2.5 s under a 3 s lease.
async function renewCost(db, history) {
  const uri = databaseUri(db, `bench_renew_${history}h`);
  const connection = await mongoose.createConnection(uri).asPromise();
  await seedHistory(connection, history);
  await queueScans(uri, 24);
  const processor = await startApp('processor', {
    MONGODB_URI: uri,
    CONCURRENCY: '8',
    FAILURE_RATE: '0',
    MIN_WORK_MS: '2500',
    MAX_WORK_MS: '2500',
    LEASE_MS: '3000',
  });
  await until(
    async () => (await finished([processor])) >= 24,
    600_000,
    'renew run timed out',
  );
  const counts = await storeCounts([processor]);
  await processor.stop();
  await connection.dropDatabase();
  await connection.close();
  const renewals = counts.operations.renew ?? 0;
  return {
    history,
    renewals,
    commandsPerRenewal: Number(
      ((counts.commands.renew ?? 0) / Math.max(1, renewals)).toFixed(2),
    ),
  };
}

// S-6: a worker holding 4 scans is killed while --backlog Accepted scans wait, and another
// worker is busy with them. Measures kill → every orphan claimed again (attempt 2).
async function recovery(db) {
  const uri = databaseUri(db, 'bench_recovery');
  const connection = await mongoose.createConnection(uri).asPromise();
  await queueScans(uri, args.backlog + 4);
  const worker = (env) =>
    startApp('processor', {
      MONGODB_URI: uri,
      FAILURE_RATE: '0',
      LEASE_MS: String(LEASE_MS),
      POLL_MAX_MS: String(POLL_MAX_MS),
      ...env,
    });
  const queue = connection.collection('scan_queue');
  const leases = connection.collection('scan_leases');
  const doomed = await worker({
    CONCURRENCY: '4',
    MIN_WORK_MS: '600000',
    MAX_WORK_MS: '600000',
  });
  await until(
    async () => (await leases.countDocuments()) === 4,
    60_000,
    'the doomed worker never held 4 scans',
  );
  const orphans = (await leases.find({}).toArray()).map((e) => e._id);
  // The survivor works through the backlog slowly, so it stays queued during the recovery.
  const survivor = await worker({
    CONCURRENCY: '4',
    MIN_WORK_MS: '200',
    MAX_WORK_MS: '200',
  });
  await sleep(1_000);
  const killedAt = Date.now();
  await doomed.stop('SIGKILL');
  const attempts = connection.collection('scan_attempts');
  const reclaimedAt = new Map();
  await until(
    async () => {
      for (const id of orphans)
        if (
          !reclaimedAt.has(id) &&
          (await attempts.findOne({ _id: `${id}:2` }))
        )
          reclaimedAt.set(id, Date.now());
      return reclaimedAt.size === orphans.length;
    },
    120_000,
    'orphaned scans were not reclaimed',
  );
  const accepted = await queue.countDocuments();
  await survivor.stop('SIGKILL');
  await connection.dropDatabase();
  await connection.close();
  const worst = Math.max(
    ...[...reclaimedAt.values()].map((at) => at - killedAt),
  );
  return {
    backlog: args.backlog,
    acceptedStillQueued: accepted,
    orphans: orphans.length,
    worstReclaimMs: worst,
    boundMs: LEASE_MS + 2 * POLL_MAX_MS,
    withinBound: worst <= LEASE_MS + 2 * POLL_MAX_MS,
  };
}

const db = await startDb();
try {
  console.log(
    `scans=${args.scans} history=${args.history} concurrency=${args.concurrency} db=${process.env.MONGODB_URI ? 'MONGODB_URI' : 'FerretDB test-db (SQLite)'}`,
  );
  const table = [];
  if (PARTS.has('throughput')) {
    // By `${workers}:${history}`, one result per round.
    const results = {};
    for (let round = 1; round <= ROUNDS; round++)
      for (const history of [0, args.history])
        for (const workers of WORKER_COUNTS) {
          const result = await throughput(db, workers, history);
          (results[`${workers}:${history}`] ??= []).push(result);
          console.log(JSON.stringify({ round, ...result }));
        }
    const rates = (key) => results[key].map((r) => r.scansPerSecond);
    const rate = (key) =>
      ROUNDS === 1
        ? `${rates(key)[0]} scans/s`
        : `${median(rates(key))} scans/s (${Math.min(...rates(key))}–${Math.max(...rates(key))})`;
    if (ROUNDS > 1)
      table.push(
        `${ROUNDS} rounds: median (lowest–highest) of each configuration\n`,
      );
    table.push(
      `| workers | empty history | ${args.history} finished scans | ratio | commands per scan: claim / finish (empty, ${args.history}) |`,
      '| --- | --- | --- | --- | --- |',
    );
    for (const workers of WORKER_COUNTS) {
      const empty = `${workers}:0`;
      const full = `${workers}:${args.history}`;
      // Per round, then the median: a ratio of two runs that met the same noise.
      const historyRatio = median(
        results[full].map((r, i) =>
          Number(
            (r.scansPerSecond / results[empty][i].scansPerSecond).toFixed(2),
          ),
        ),
      );
      console.log(JSON.stringify({ workers, historyRatio }));
      const cost = (key) => {
        const last = results[key][results[key].length - 1];
        return `${last.commandsPerScan.claim} / ${last.commandsPerScan.finish}`;
      };
      table.push(
        `| ${workers} | ${rate(empty)} | ${rate(full)} | ${historyRatio} | ${cost(empty)}, ${cost(full)} |`,
      );
    }
    if (WORKER_COUNTS.includes(1) && WORKER_COUNTS.includes(2))
      for (const history of [0, args.history]) {
        const one = rates(`1:${history}`);
        const beat = rates(`2:${history}`).filter((r, i) => r > one[i]).length;
        const line = `2 workers beat 1 in ${beat} of ${ROUNDS} rounds with ${history} finished scans`;
        console.log(
          JSON.stringify({ history, twoBeatOne: beat, rounds: ROUNDS }),
        );
        table.push(`\n${line}`);
      }
  }
  if (PARTS.has('renew'))
    for (const history of [0, args.history]) {
      const renew = await renewCost(db, history);
      console.log(JSON.stringify({ renew }));
      table.push(
        `\nrenewal, ${history} finished scans: ${renew.commandsPerRenewal} commands per renewal (${renew.renewals} renewals)`,
      );
    }
  if (PARTS.has('recovery')) {
    const result = await recovery(db);
    console.log(JSON.stringify({ recovery: result }));
    table.push(
      `\nrecovery: ${result.orphans} orphans claimed again ${result.worstReclaimMs} ms after the kill at worst (bound ${result.boundMs} ms), ${result.acceptedStillQueued} Accepted scans still queued`,
    );
  }
  // The same figures as Markdown, for docs/benchmarks.md.
  console.log(`\n${table.join('\n')}`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await db.stop();
  process.exit();
}
