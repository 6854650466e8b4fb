import { freePort, workspaceRoot } from '@gatehouse/shared/testing';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  docFiles,
  ReadmeExample,
  readmeExamples,
  withPorts,
} from './support/readme-examples';

// The README is the front door: start the suite exactly as it says (`npm start`), run the curl
// examples of the README and of every docs/*.md against it, check the answers they document,
// then stop it with SIGTERM and expect exit 0. Free ports keep it clear of a suite a developer
// may be running.
const root = workspaceRoot();
const DOCS = docFiles(root);
const markdown = (file: string) => readFileSync(join(root, file), 'utf8');
const DEFAULT_PORTS = {
  BACKEND_PORT: 3000,
  GATEWAY_PORT: 8080,
  INGEST_PORT: 3001,
  STATUS_PORT: 3002,
  PROCESSOR_PORT: 3003,
  CONSOLE_PORT: 3004,
} as const;

interface CurlAnswer {
  status: number;
  seconds: number;
}

function runExample(
  command: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  // Each curl also reports its status and time on a line of its own, after its normal output.
  const script = `curl() { command curl "$@" -sS -w '\\n__CURL__ %{http_code} %{time_total}\\n'; }\n${command}`;
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', script],
      { cwd: root, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

function answers(stdout: string): CurlAnswer[] {
  return [...stdout.matchAll(/^__CURL__ (\d{3}) ([\d.]+)$/gm)].map((m) => ({
    status: Number(m[1]),
    seconds: Number(m[2]),
  }));
}

describe('README and docs: npm start, then every curl example answers as documented', () => {
  const examples = DOCS.flatMap((file) => readmeExamples(markdown(file), file));
  let suite: ChildProcess;
  let stdout = '';
  let stderr = '';
  // What the apps logged up to the moment the suite said it was ready.
  let bootLog = '';
  let exited: Promise<number | null>;
  const ports: Record<number, number> = {};
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-readme-db-'));

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TEST_DB_DIR: dataDir };
    delete env['MONGODB_URI'];
    for (const [name, port] of Object.entries(DEFAULT_PORTS)) {
      ports[port] = await freePort();
      env[name] = String(ports[port]);
    }
    env['TEST_DB_PORT'] = String(await freePort());
    suite = spawn('npm', ['start'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    suite.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    suite.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    exited = new Promise((resolve) => suite.once('exit', resolve));
    const deadline = Date.now() + 480_000;
    while (!/^gatehouse: ready: /m.test(stderr)) {
      if (suite.exitCode !== null || Date.now() > deadline)
        throw new Error(
          `npm start did not get ready:\n${stderr.slice(-4_000)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    bootLog = stdout;
  }, 540_000);

  afterAll(async () => {
    if (suite?.exitCode === null) {
      suite.kill('SIGKILL');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds the examples, each with its documented answer', () => {
    expect(examples.length).toBeGreaterThan(20);
    const undocumented = examples.filter(
      (example) => example.expectedStatus === undefined,
    );
    expect(
      undocumented.map((e) => `${e.file} line ${e.line}: ${e.command}`),
    ).toEqual([]);
    // Every topic file with a runnable block is read, not just the README.
    expect(new Set(examples.map((e) => e.file)).size).toBeGreaterThan(5);
    // The answers the docs promise a new user: the ones this test exists for.
    const statuses = new Set(examples.map((e) => e.expectedStatus));
    for (const status of [200, 202, 400, 401, 404])
      expect(statuses).toContain(status);
    expect(examples.some((e) => e.expectedSeconds !== undefined)).toBe(true);
  });

  it('boots without a warning', () => {
    const warnings = bootLog
      .split('\n')
      .filter((line) => /"level":("(warn|error|fatal)"|[4-6]0\b)/.test(line));
    expect(warnings).toEqual([]);
  });

  it('runs every example against the suite', async () => {
    const values: Record<string, string> = {};
    const failures: string[] = [];
    for (const example of examples) {
      const problem = await check(example, values);
      if (problem)
        failures.push(`${example.file} line ${example.line}: ${problem}`);
    }
    expect(failures).toEqual([]);
  });

  it('stops everything on SIGTERM and exits 0, with only JSON on stdout', async () => {
    suite.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise<string>((resolve) =>
        setTimeout(() => resolve('still running after 60 s'), 60_000),
      ),
    ]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^gatehouse: stopped$/m);
    // npm echoes the script it runs (lines starting with ">"); everything else is the apps' JSON.
    const lines = stdout
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('>'));
    const notJson = lines.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    expect(lines.length).toBeGreaterThan(10);
  }, 90_000);

  async function check(
    example: ReadmeExample,
    values: Record<string, string>,
  ): Promise<string | undefined> {
    let command = withPorts(example.command, ports);
    for (const name of ['scanId', 'nextCursor']) {
      if (!command.includes(`<${name}>`)) continue;
      if (!values[name]) return `no earlier answer gave a ${name}`;
      command = command.split(`<${name}>`).join(values[name]);
    }
    const result = await runExample(command);
    const got = answers(result.stdout);
    // Placeholders are filled from successful answers only: an error body may name an id too.
    if (got.length > 0 && got.every((answer) => answer.status < 300)) {
      const scanId = /"scanId":"([0-9a-f-]{36})"/.exec(result.stdout);
      if (scanId) values['scanId'] = scanId[1];
      const cursor = /"nextCursor":"([^"]+)"/.exec(result.stdout);
      if (cursor) values['nextCursor'] = cursor[1];
    }
    if (result.code !== 0 || got.length === 0)
      return `\`${command}\` failed (exit ${result.code}): ${result.stderr.slice(0, 300)}`;
    for (const answer of got) {
      if (answer.status !== example.expectedStatus)
        return `expected ${example.expectedStatus}, got ${answer.status}: ${result.stdout.slice(0, 300)}`;
      const seconds = example.expectedSeconds;
      if (seconds !== undefined && Math.abs(answer.seconds - seconds) > 0.5)
        return `expected about ${seconds} s, took ${answer.seconds} s`;
    }
    return undefined;
  }

  it('has no example that needs a file the reader does not have', () => {
    for (const example of examples)
      for (const [, file] of example.command.matchAll(/@([\w./-]+)/g))
        if (!file.includes('.0.0.1'))
          expect(existsSync(join(root, file))).toBe(true);
  });
});
