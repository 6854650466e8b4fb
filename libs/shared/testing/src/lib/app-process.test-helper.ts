import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, freePort, workspaceRoot } from './workspace.test-helper';

export type LogLine = Record<string, unknown>;

export interface StartAppOptions {
  env?: Record<string, string | undefined>;
  port?: number;
  // Path polled until it answers 200; the app is then ready.
  readyPath?: string;
  timeoutMs?: number;
}

// A built app running as a real process on a real socket, with its JSON log lines captured.
export class AppProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>;
  private partial = '';

  constructor(
    readonly name: string,
    readonly port: number,
    readonly child: ChildProcess,
  ) {
    child.stdout
      ?.setEncoding('utf8')
      .on('data', (chunk: string) => this.collect(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.collect(chunk);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private collect(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        this.logs.push({ unstructured: line });
      }
    }
  }

  waitForLog(
    match: (line: LogLine) => boolean,
    timeoutMs = 10_000,
    what = 'log line',
  ): Promise<LogLine> {
    return eventually(
      () => this.logs.find(match),
      timeoutMs,
      `${this.name}: ${what}`,
    );
  }

  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    timeoutMs = 15_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function builtAppPath(app: string): string {
  return join(workspaceRoot(), 'dist', 'apps', app, 'main.js');
}

export async function startApp(
  app: string,
  options: StartAppOptions = {},
): Promise<AppProcess> {
  const main = builtAppPath(app);
  if (!existsSync(main)) {
    throw new Error(`${main} is missing: build it first (npx nx build ${app})`);
  }
  const port = options.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
  };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const child = spawn(process.execPath, [main], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = new AppProcess(app, port, child);
  const readyPath = options.readyPath ?? '/health/live';
  try {
    await eventually(
      async () => {
        if (!proc.running)
          throw new Error(
            `${app} exited during start-up: ${proc.stderr || JSON.stringify(proc.logs.slice(-5))}`,
          );
        try {
          const response = await fetch(`${proc.url}${readyPath}`);
          await response.arrayBuffer();
          return response.ok || undefined;
        } catch {
          return undefined;
        }
      },
      options.timeoutMs ?? 20_000,
      `${app} to answer ${readyPath}`,
    );
  } catch (error) {
    await proc.stop('SIGKILL');
    throw error;
  }
  return proc;
}
