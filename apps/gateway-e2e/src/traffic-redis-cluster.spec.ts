import type { AppProcess } from '@gatehouse/shared/testing';
import { eventually } from '@gatehouse/shared/testing';
import {
  ClusterMember,
  OwnRedisCluster,
  startOwnRedisCluster,
} from './support/redis-cluster.test-helper';
import {
  getWithHeaders,
  requestLines,
  startBackend,
  startGateway,
  Timed,
  timedFetch,
} from './support/traffic.test-helper';

const PREFIX = 'gatehouse:';
const RATE_LIMIT = 4;

interface Outcome {
  started: number;
  ended: number;
  status: number;
}

// The longest run of consecutive 5xx (or failed) answers, from the first one's start to the
// last one's end.
function longestFailureWindow(outcomes: Outcome[]): number {
  let longest = 0;
  let since: number | undefined;
  for (const outcome of outcomes) {
    if (outcome.status >= 500 || outcome.status === 0) {
      since ??= outcome.started;
      longest = Math.max(longest, outcome.ended - since);
    } else {
      since = undefined;
    }
  }
  return longest;
}

// Two gateway replicas on a real six-node Redis Cluster of their own (3 masters, 3 replicas).
describe('G-5 replicas share state through a Redis Cluster', () => {
  let cluster: OwnRedisCluster;
  let backend: AppProcess;
  let a: AppProcess;
  let b: AppProcess;

  // A client address whose duplicate key lives on the given master (by CLUSTER KEYSLOT).
  async function clientOn(master: ClusterMember, taken: Set<string>) {
    for (let i = 1; i < 4096; i++) {
      const client = `10.${(i >> 8) & 255}.${i & 255}.7`;
      if (taken.has(client)) continue;
      const slot = Number(
        await cluster.ask(
          master,
          'CLUSTER',
          'KEYSLOT',
          `${PREFIX}dup:{${client}}`,
        ),
      );
      if ((await cluster.masterOfSlot(slot)) === master) {
        taken.add(client);
        return client;
      }
    }
    throw new Error(`no client address found on ${master.address}`);
  }

  async function masters(): Promise<ClusterMember[]> {
    const found = new Set<ClusterMember>();
    for (const slot of [0, 8192, 16383])
      found.add(await cluster.masterOfSlot(slot));
    return [...found];
  }

  async function heldAcrossReplicas(client: string, path: string) {
    const headers = { host: 'gatehouse.test', 'x-forwarded-for': client };
    const first = await getWithHeaders(`${a.url}${path}`, headers);
    const second = await getWithHeaders(`${b.url}${path}`, headers);
    return { first, second };
  }

  beforeAll(async () => {
    cluster = await startOwnRedisCluster();
    backend = await startBackend();
    const env = {
      BACKEND_URL: backend.url,
      REDIS_CLUSTER_NODES: cluster.nodes,
      REDIS_PREFIX: PREFIX,
      TRUST_PROXY: '1',
      DUPLICATE_DELAY_MS: '1000',
      STATS_FLUSH_MS: '50',
      RATE_LIMIT: String(RATE_LIMIT),
    };
    [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), backend?.stop()]);
    await cluster?.stop();
  });

  it('G-5/G-3: a replay sent to replica B after replica A is held, for clients on every master', async () => {
    const taken = new Set<string>();
    const owners = await masters();
    expect(owners).toHaveLength(3);
    const clients: string[] = [];
    for (const master of owners) clients.push(await clientOn(master, taken));
    // Sent at once, so that one replica batches swaps whose keys live on different masters.
    const send = (replica: AppProcess) =>
      Promise.all(
        clients.map((client) =>
          getWithHeaders(`${replica.url}/api/cluster?x=1`, {
            host: 'gatehouse.test',
            'x-forwarded-for': client,
          }),
        ),
      );
    const first = await send(a);
    const second = await send(b);
    expect([...first, ...second].map((r) => r.status)).toEqual(
      Array(6).fill(200),
    );
    for (const response of first) expect(response.ms).toBeLessThan(800);
    for (const response of second)
      expect(response.ms).toBeGreaterThanOrEqual(1000);
  }, 30_000);

  it('G-5/G-6: the rate limit counts a client across replicas', async () => {
    const client = { 'x-forwarded-for': '192.0.2.44' };
    const statuses: number[] = [];
    for (let i = 0; i <= RATE_LIMIT; i++) {
      const replica = i % 2 === 0 ? a : b;
      const response = await getWithHeaders(`${replica.url}/api/limited`, {
        ...client,
        'x-n': String(i),
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([...Array(RATE_LIMIT).fill(200), 429]);
  });

  it('G-10/G-11: statistics and status count across replicas', async () => {
    const paths = ['/api/c/b', '/api/c/a', '/api/c/c', '/api/c/a'];
    let n = 0;
    for (const path of paths) {
      for (const replica of [a, b]) {
        await getWithHeaders(`${replica.url}${path}`, {
          'x-forwarded-for': `192.0.2.${100 + n}`,
          'x-n': String(n++),
        });
      }
    }
    const stats = await eventually(async () => {
      const page = JSON.parse(
        (await timedFetch(`${b.url}/_gateway/stats?limit=1000`)).body,
      ) as { paths: { path: string; count: number }[] };
      const mine = page.paths.filter((p) => p.path.startsWith('/api/c/'));
      return mine.reduce((sum, p) => sum + p.count, 0) === 8 ? mine : undefined;
    });
    expect(stats).toEqual([
      { path: '/api/c/a', count: 4 },
      { path: '/api/c/b', count: 2 },
      { path: '/api/c/c', count: 2 },
    ]);
    const status = await eventually(async () => {
      const s = JSON.parse((await timedFetch(`${a.url}/_gateway/status`)).body);
      const logged = requestLines(a).length + requestLines(b).length;
      return s.requests.processed === logged ? s : undefined;
    });
    expect(status.requests.delayed).toBeGreaterThanOrEqual(3);
    expect(status.requests.rejected).toBeGreaterThanOrEqual(1);
    expect(status.store).toBe('redis');
  });

  it('G-5: every key carries a hash tag, and no command failed with CROSSSLOT', async () => {
    const keys: string[] = [];
    for (const master of await masters()) {
      const listed = await cluster.ask(master, 'KEYS', `${PREFIX}*`);
      keys.push(...listed.split(',').filter((key) => key !== ''));
    }
    expect(keys.length).toBeGreaterThan(5);
    for (const key of keys) expect(key).toMatch(/^[^{}]*\{[^{}]+\}/);
    // Clients spread over the masters; the statistics share one tag.
    expect(keys.filter((key) => key.includes('{stats}')).sort()).toEqual([
      `${PREFIX}{stats}:counts`,
      `${PREFIX}{stats}:paths`,
    ]);
    const logs = [...a.logs, ...b.logs].map((line) => JSON.stringify(line));
    expect(logs.filter((line) => /CROSSSLOT/.test(line))).toEqual([]);
  });

  it('G-5/G-11: a master killed under steady traffic: no 5xx longer than the failover, the replica is promoted, readiness and shared state return', async () => {
    const statsSlot = Number(
      await cluster.ask(
        cluster.members[0],
        'CLUSTER',
        'KEYSLOT',
        `${PREFIX}{stats}:paths`,
      ),
    );
    const victim = await cluster.masterOfSlot(statsSlot);
    const survivor = cluster.members.find((m) => m !== victim) as ClusterMember;
    const outcomes: Outcome[] = [];
    const readiness: { at: number; status: number }[] = [];
    let n = 0;
    const send = async (replica: AppProcess): Promise<void> => {
      const started = performance.now();
      let response: Timed | undefined;
      try {
        response = await getWithHeaders(`${replica.url}/api/steady`, {
          'x-forwarded-for': `198.18.${(n >> 8) & 255}.${n & 255}`,
          'x-n': String(n++),
        });
      } catch {
        response = undefined;
      }
      outcomes.push({
        started,
        ended: performance.now(),
        status: response?.status ?? 0,
      });
    };

    // Steady traffic before the kill.
    for (let i = 0; i < 20; i++) await send(i % 2 === 0 ? a : b);
    const pidsBefore = [a.child.pid, b.child.pid];
    const killedAt = performance.now();
    await cluster.kill(victim);

    let failoverMs: number | undefined;
    let readyAgainMs: number | undefined;
    const deadline = killedAt + 40_000;
    const since = () => performance.now() - killedAt;
    const pause = (ms: number) =>
      new Promise((resolve) => setTimeout(resolve, ms));
    // The failover is over when a live node names another master for the slot and reports
    // the cluster ok; polled every 50 ms, apart from the traffic.
    const watchFailover = async () => {
      while (failoverMs === undefined && performance.now() < deadline) {
        const owner = await cluster.masterOfSlot(statsSlot).catch(() => victim);
        const state = await cluster
          .ask(survivor, 'CLUSTER', 'INFO')
          .catch(() => '');
        if (owner !== victim && /^cluster_state:ok\s*$/m.test(state))
          failoverMs = since();
        else await pause(50);
      }
    };
    // Both replicas ready again, after the failover, without a restart.
    const watchReadiness = async () => {
      while (readyAgainMs === undefined && performance.now() < deadline) {
        const ready = await Promise.all(
          [a, b].map((replica) =>
            timedFetch(`${replica.url}/_gateway/health/ready`),
          ),
        );
        const status = Math.max(...ready.map((r) => r.status));
        readiness.push({ at: since(), status });
        if (failoverMs !== undefined && status === 200) readyAgainMs = since();
        else await pause(100);
      }
    };
    // Steady traffic on both replicas until both are back (bounded by the deadline).
    const traffic = async (replica: AppProcess) => {
      while (readyAgainMs === undefined && performance.now() < deadline)
        await send(replica);
    };
    await Promise.all([
      watchFailover(),
      watchReadiness(),
      traffic(a),
      traffic(b),
    ]);
    // Traffic after recovery, to show it stays healthy.
    for (let i = 0; i < 20; i++) await send(i % 2 === 0 ? a : b);

    const failureWindowMs = longestFailureWindow(outcomes);
    const latencies = outcomes.map((o) => o.ended - o.started);
    const report = {
      requests: outcomes.length,
      failed: outcomes.filter((o) => o.status >= 500 || o.status === 0).length,
      longest5xxWindowMs: Math.round(failureWindowMs),
      failoverMs: failoverMs === undefined ? undefined : Math.round(failoverMs),
      readyAgainMs:
        readyAgainMs === undefined ? undefined : Math.round(readyAgainMs),
      slowestRequestMs: Math.round(Math.max(...latencies)),
      notReadyObserved: readiness.some((r) => r.status === 503),
    };
    console.log(
      `Redis Cluster failover under traffic: ${JSON.stringify(report)}`,
    );

    expect(failoverMs).toBeDefined();
    expect(readyAgainMs).toBeDefined();
    expect(failureWindowMs).toBeLessThanOrEqual(failoverMs as number);
    expect(report.notReadyObserved).toBe(true);
    expect([a.child.pid, b.child.pid]).toEqual(pidsBefore);
    expect(a.running && b.running).toBe(true);
    // Shared state works again, on the promoted replica's slots too.
    const promoted = await cluster.masterOfSlot(statsSlot);
    expect(promoted).not.toBe(victim);
    const client = await clientOn(promoted, new Set());
    const { first, second } = await heldAcrossReplicas(
      client,
      '/api/after?x=1',
    );
    expect(first.ms).toBeLessThan(800);
    expect(second.ms).toBeGreaterThanOrEqual(1000);
    await getWithHeaders(`${a.url}/api/after/stats`, {
      'x-forwarded-for': '192.0.2.250',
    });
    await getWithHeaders(`${b.url}/api/after/stats`, {
      'x-forwarded-for': '192.0.2.251',
    });
    await eventually(async () => {
      const page = JSON.parse(
        (await timedFetch(`${a.url}/_gateway/stats?limit=1000`)).body,
      ) as { paths: { path: string; count: number }[] };
      return (
        page.paths.find((p) => p.path === '/api/after/stats')?.count === 2 ||
        undefined
      );
    });
    // One line per replica for the outage, and one for its end (noticed by a probe that runs
    // every 500 ms, so it may trail readiness a little).
    const messages = (replica: AppProcess, text: string) =>
      replica.logs.filter((line) => String(line['msg']).startsWith(text));
    await eventually(
      () =>
        [a, b].every(
          (replica) => messages(replica, 'redis available again').length > 0,
        ) || undefined,
      5_000,
      'both replicas to log the end of the outage',
    );
    for (const replica of [a, b]) {
      expect(messages(replica, 'redis unavailable')).toHaveLength(1);
      expect(messages(replica, 'redis available again')).toHaveLength(1);
    }
  }, 90_000);
});
