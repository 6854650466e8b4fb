import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';

// Runs a Dockerfile's steps without a Docker engine: each stage gets a directory of its own that
// stands for its WORKDIR, COPY copies from the build context (what `docker build` would send) or
// from an earlier stage, ENV sets the environment of later RUN lines, and RUN runs in bash.
// It covers the instructions our Dockerfile uses, and fails on any other.

export interface Stage {
  name: string | undefined;
  workdir: string;
  dir: string;
  env: Record<string, string>;
  cmd: string[] | undefined;
}

export interface RehearsalOptions {
  dockerfile: string;
  context: string;
  scratch: string;
  // Commands left out of RUN lines, with the reason, e.g. cleaning the machine's npm cache.
  skip?: { pattern: RegExp; why: string }[];
  log?: (line: string) => void;
}

interface Instruction {
  keyword: string;
  args: string;
}

function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const space = line.indexOf(' ');
      return {
        keyword: line.slice(0, space).toUpperCase(),
        args: line.slice(space + 1).trim(),
      };
    });
}

function dockerignore(context: string): RegExp[] {
  let text = '';
  try {
    text = readFileSync(join(context, '.dockerignore'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((pattern) => {
      const body = pattern
        .replace(/^\/+/, '')
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*');
      return new RegExp(`^${body}(/|$)`);
    });
}

// What `docker build` sends: the files git knows of (tracked, or new and not ignored), less
// .dockerignore.
export function buildContext(context: string): string[] {
  const ignored = dockerignore(context);
  return execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '-z'],
    { cwd: context, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  )
    .split('\0')
    .filter((file) => file !== '' && !ignored.some((re) => re.test(file)))
    .filter((file, index, all) => all.indexOf(file) === index);
}

// The machine's environment, less what the test runner and an outer Nx task set: a RUN line
// sees what it would see in an image.
function hostEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (
      !/^(NX_|JEST_|NODE_ENV$|INIT_CWD$|npm_lifecycle_|npm_package_)/.test(key)
    )
      env[key] = value;
  return env;
}

export function rehearse(options: RehearsalOptions): Stage[] {
  const stages: Stage[] = [];
  const contextFiles = buildContext(options.context);
  const log = options.log ?? (() => undefined);
  let stage: Stage | undefined;
  const inStage = (path: string, target: Stage): string =>
    join(target.dir, posix.resolve(target.workdir, path));

  for (const { keyword, args } of instructions(
    readFileSync(options.dockerfile, 'utf8'),
  )) {
    if (keyword === 'FROM') {
      const name = /\bAS\s+(\S+)/i.exec(args)?.[1];
      const dir = join(options.scratch, `stage-${stages.length}`);
      mkdirSync(dir, { recursive: true });
      stage = { name, workdir: '/', dir, env: {}, cmd: undefined };
      stages.push(stage);
      continue;
    }
    if (!stage) throw new Error(`${keyword} before FROM`);
    const current = stage;
    switch (keyword) {
      case 'WORKDIR':
        current.workdir = posix.resolve(current.workdir, args);
        mkdirSync(inStage('.', current), { recursive: true });
        break;
      case 'ENV':
        for (const [, key, value] of args.matchAll(/(\w+)=(\S+)/g))
          current.env[key] = value;
        break;
      case 'COPY': {
        const parts = args.split(/\s+/);
        const from = /^--from=(\S+)$/.exec(parts[0])?.[1];
        if (from) parts.shift();
        const destination = parts.pop() as string;
        for (const source of parts) {
          if (from) {
            const origin = stages.find((s) => s.name === from);
            if (!origin) throw new Error(`COPY --from=${from}: no such stage`);
            cpSync(inStage(source, origin), inStage(destination, current), {
              recursive: true,
            });
          } else {
            // A file lands in the destination under its own name; a folder's files land
            // under the destination with the paths they have inside that folder, as in Docker.
            const folder =
              source === '.' ? '' : `${source.replace(/\/+$/, '')}/`;
            for (const file of contextFiles) {
              const inFolder = file.startsWith(folder);
              if (file !== source && !inFolder) continue;
              const target = inFolder
                ? join(inStage(destination, current), file.slice(folder.length))
                : join(inStage(destination, current), posix.basename(file));
              mkdirSync(dirname(target), { recursive: true });
              cpSync(join(options.context, file), target);
            }
          }
        }
        break;
      }
      case 'RUN': {
        let command = args;
        for (const { pattern, why } of options.skip ?? []) {
          if (pattern.test(command)) {
            command = command.replace(pattern, '');
            log(`left out of \`${args}\`: ${why}`);
          }
        }
        log(`RUN ${command}`);
        const result = spawnSync('bash', ['-c', command], {
          cwd: inStage('.', current),
          env: { ...hostEnv(), ...current.env },
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        });
        if (result.status !== 0)
          throw new Error(
            `RUN ${command} failed (exit ${result.status ?? result.signal}):\n${`${result.stdout}${result.stderr}`.slice(-6_000)}`,
          );
        break;
      }
      case 'CMD':
        current.cmd = JSON.parse(args) as string[];
        break;
      case 'USER':
      case 'EXPOSE':
      case 'LABEL':
        break;
      default:
        throw new Error(`the rehearsal does not know ${keyword}`);
    }
  }
  return stages;
}
