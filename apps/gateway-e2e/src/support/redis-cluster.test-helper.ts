import { eventually, freePort } from '@gatehouse/shared/testing';
import Redis from 'ioredis';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const INSTALL_HINT =
  'install them with "apt-get install redis-server redis-tools" (Debian) or your system\'s Redis 7 packages';

export interface ClusterMember {
  port: number;
  address: string;
  process: ChildProcess;
}

export interface OwnRedisCluster {
  // For REDIS_CLUSTER_NODES.
  nodes: string;
  members: ClusterMember[];
  // The member serving a slot as master right now, asked of a live member.
  masterOfSlot(slot: number): Promise<ClusterMember>;
  // A command on one member (CLUSTER INFO, INFO replication, ...).
  ask(member: ClusterMember, ...command: string[]): Promise<string>;
  kill(member: ClusterMember): Promise<void>;
  stop(): Promise<void>;
}

// Six private redis-server processes (3 masters, 3 replicas) made into a Redis Cluster with
// redis-cli, on free loopback ports in a temporary directory. A short node timeout keeps a
// failover within a few seconds.
export async function startOwnRedisCluster(
  nodeTimeoutMs = 1_000,
): Promise<OwnRedisCluster> {
  await requireTool('redis-server');
  await requireTool('redis-cli');
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-cluster-'));
  const members: ClusterMember[] = [];
  const exits = new Map<ClusterMember, Promise<void>>();

  const stop = async (): Promise<void> => {
    for (const member of members) {
      if (
        member.process.exitCode === null &&
        member.process.signalCode === null
      )
        member.process.kill('SIGKILL');
    }
    await Promise.all(exits.values());
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      const busPort = await freePort();
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--cluster-port',
          String(busPort),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          String(nodeTimeoutMs),
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: 'ignore' },
      );
      child.once('error', () => undefined);
      const member = { port, address: `127.0.0.1:${port}`, process: child };
      exits.set(
        member,
        new Promise<void>((resolve) => child.once('exit', () => resolve())),
      );
      members.push(member);
    }
    await Promise.all(
      members.map((member) =>
        eventually(
          async () => {
            if (member.process.exitCode !== null)
              throw new Error(`redis-server exited: ${INSTALL_HINT}`);
            return (
              (await ask(member, 'PING').catch(() => '')) === 'PONG' ||
              undefined
            );
          },
          10_000,
          `redis-server on ${member.address}`,
        ),
      ),
    );
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...members.map((member) => member.address),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    // Every node agrees, and every replica has its master's data, before any test runs.
    await eventually(
      async () => {
        for (const member of members) {
          if (
            !/^cluster_state:ok\s*$/m.test(await ask(member, 'CLUSTER', 'INFO'))
          )
            return undefined;
          const replication = await ask(member, 'INFO', 'replication');
          if (
            /^role:slave\s*$/m.test(replication) &&
            !/^master_link_status:up\s*$/m.test(replication)
          )
            return undefined;
        }
        return true;
      },
      30_000,
      'cluster_state:ok on every node',
    );
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    nodes: members.map((member) => member.address).join(','),
    members,
    ask,
    async masterOfSlot(slot) {
      for (const member of members) {
        if (
          member.process.exitCode !== null ||
          member.process.signalCode !== null
        )
          continue;
        const slots = (await askRaw(member, 'CLUSTER', 'SLOTS')) as [
          number,
          number,
          [string, number],
        ][];
        const range = slots.find(([from, to]) => slot >= from && slot <= to);
        const owner = members.find((m) => m.port === range?.[2][1]);
        if (owner) return owner;
      }
      throw new Error(`no live member knows slot ${slot}`);
    },
    async kill(member) {
      member.process.kill('SIGKILL');
      await exits.get(member);
    },
    stop,
  };
}

async function requireTool(name: string): Promise<void> {
  try {
    await run(name, ['--version']);
  } catch {
    throw new Error(`${name} is not installed: ${INSTALL_HINT}`);
  }
}

async function askRaw(
  member: ClusterMember,
  ...command: string[]
): Promise<unknown> {
  const redis = new Redis(member.port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
    commandTimeout: 2_000,
  });
  try {
    await redis.connect();
    return await redis.call(command[0], ...command.slice(1));
  } finally {
    redis.disconnect();
  }
}

async function ask(
  member: ClusterMember,
  ...command: string[]
): Promise<string> {
  return String(await askRaw(member, ...command));
}
