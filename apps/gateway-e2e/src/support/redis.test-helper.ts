import { AppProcess, eventually, freePort } from '@gatehouse/shared/testing';
import { startBackend, startGateway } from './traffic.test-helper';
import Redis from 'ioredis';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';

export const SHARED_REDIS_URL =
  process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

// The machine's Redis, reached or failed loudly: these tests never skip.
export async function connectSharedRedis(): Promise<Redis> {
  const redis = new Redis(SHARED_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    redis.disconnect();
    throw new Error(
      `Redis is not reachable at ${SHARED_REDIS_URL}. Start it with "sudo service redis-server start" (or "redis-server --daemonize yes"), or point TEST_REDIS_URL at one.`,
    );
  }
  return redis;
}

// A key prefix no other run uses, so runs never see each other's state.
export function uniquePrefix(): string {
  return `gatehouse-e2e:${randomUUID()}:`;
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
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

export interface OwnRedis {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

// A private redis-server on a free port, for tests that take Redis away.
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => resolve()),
  );
  child.once('error', () => undefined);
  const url = `redis://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null)
        throw new Error(
          'redis-server exited: is it installed (apt-get install redis-server)?',
        );
      const probe = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG' || undefined;
      } catch {
        return undefined;
      } finally {
        probe.disconnect();
      }
    },
    10_000,
    'redis-server to answer',
  );
  return {
    url,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export interface ReplicaPair {
  prefix: string;
  redis: Redis;
  backend: AppProcess;
  a: AppProcess;
  b: AppProcess;
  stop(): Promise<void>;
}

// Two gateway replicas in front of one backend, sharing the machine's Redis under a fresh prefix.
export async function startReplicasOnSharedRedis(
  env: Record<string, string>,
): Promise<ReplicaPair> {
  const prefix = uniquePrefix();
  const redis = await connectSharedRedis();
  const backend = await startBackend();
  const replicaEnv = {
    BACKEND_URL: backend.url,
    REDIS_URL: SHARED_REDIS_URL,
    REDIS_PREFIX: prefix,
    ...env,
  };
  const [a, b] = await Promise.all([
    startGateway(replicaEnv),
    startGateway(replicaEnv),
  ]);
  return {
    prefix,
    redis,
    backend,
    a,
    b,
    stop: async () => {
      await Promise.all([a.stop(), b.stop(), backend.stop()]);
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
}
