import { freePort, workspaceRoot } from '@gatehouse/shared/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rehearse, Stage } from './support/dockerfile-rehearsal';

// `docker compose up` is one of the ways Gatehouse is run, and no Docker engine runs here. So the
// image's steps are rehearsed: a clean install from the lock (`npm ci`, which rejects a lock out
// of step with package.json), the production build, a production-only install beside `dist`,
// then every app booted from that tree. A runtime import of a dev dependency fails here.
const root = workspaceRoot();
const APPS = ['backend', 'gateway', 'ingest', 'processor', 'status'];

async function liveness(
  app: string,
  stage: Stage,
  cmd: string[],
): Promise<{ status: number; output: string }> {
  const port = await freePort();
  const main = cmd[1].replace(/apps\/[^/]+\//, `apps/${app}/`);
  const child: ChildProcess = spawn(
    cmd[0] === 'node' ? process.execPath : cmd[0],
    [main],
    {
      cwd: join(stage.dir, stage.workdir),
      env: {
        PATH: process.env['PATH'],
        ...stage.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        // Nothing listens here: the scan apps must still start (S-3).
        MONGODB_URI: 'mongodb://127.0.0.1:9/gatehouse',
        UPSTREAM_ERROR_LOG: join(stage.dir, 'upstream-errors.log'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const path = app === 'gateway' ? '/_gateway/health/live' : '/health/live';
  const deadline = Date.now() + 30_000;
  try {
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: response.status, output };
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    return { status: 0, output };
  } finally {
    child.kill('SIGTERM');
  }
}

describe('the Docker image, rehearsed without a Docker engine', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-image-'));
  let stages: Stage[] = [];

  beforeAll(() => {
    stages = rehearse({
      dockerfile: join(root, 'docker', 'Dockerfile'),
      context: root,
      scratch,
      skip: [
        {
          pattern: /\s*&&\s*npm cache clean --force/,
          why: 'it only makes the image smaller, and here it would empty the machine-wide npm cache',
        },
      ],
      log: (line) => process.stderr.write(`image: ${line}\n`),
    });
  }, 900_000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('builds with npm ci from the committed lock, in two stages', () => {
    expect(stages).toHaveLength(2);
    const dockerfile = readFileSync(join(root, 'docker', 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^RUN npm ci /m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev /m);
  });

  it.each(APPS)(
    'boots %s from the runtime stage with production dependencies only',
    async (app) => {
      const runtime = stages[stages.length - 1];
      expect(runtime.cmd?.[0]).toBe('node');
      const { status, output } = await liveness(
        app,
        runtime,
        runtime.cmd as string[],
      );
      if (status !== 200)
        throw new Error(
          `${app} did not answer /health/live:\n${output.slice(-3_000)}`,
        );
      expect(status).toBe(200);
    },
  );
});
