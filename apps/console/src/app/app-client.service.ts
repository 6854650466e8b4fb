import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { CONSOLE_CONFIG, ConsoleConfig } from './console.config';

export type AppName = 'gateway' | 'ingest' | 'status';

export interface AppAnswer {
  status: number;
  contentType: string;
  text: string;
}

const STANDARD_FIELDS = new Set([
  'type',
  'title',
  'status',
  'detail',
  'instance',
  'requestId',
]);

// The console's only way out: server-side calls to the apps it reads, each bounded in time.
@Injectable()
export class AppClient {
  constructor(@Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig) {}

  baseUrl(app: AppName): URL {
    return app === 'gateway'
      ? this.config.GATEWAY_URL
      : app === 'ingest'
        ? this.config.INGEST_URL
        : this.config.STATUS_URL;
  }

  // Any answer at all, or a 502 problem naming the app when it cannot be reached.
  async call(
    app: AppName,
    path: string,
    init: {
      method?: string;
      body?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<AppAnswer> {
    const target = new URL(path, this.baseUrl(app));
    try {
      const response = await fetch(target, {
        method: init.method ?? 'GET',
        body: init.body,
        headers: init.headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.CALL_TIMEOUT_MS),
      });
      return {
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        text: await response.text(),
      };
    } catch {
      throw unreachable(app);
    }
  }

  // A 2xx JSON answer, or the app's own problem passed on with its status.
  async json<T>(
    app: AppName,
    path: string,
    init: {
      method?: string;
      body?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<T> {
    const answer = await this.call(app, path, init);
    if (answer.status >= 200 && answer.status < 300) {
      try {
        return JSON.parse(answer.text) as T;
      } catch {
        throw badAnswer(app, 'an answer that is not JSON');
      }
    }
    throw passOn(app, answer);
  }
}

export function unreachable(app: AppName): ProblemException {
  return new ProblemException({
    status: 502,
    title: 'Bad Gateway',
    type: 'app-unreachable',
    detail: `${app} is unreachable.`,
    extensions: { app },
  });
}

function badAnswer(app: AppName, what: string): ProblemException {
  return new ProblemException({
    status: 502,
    title: 'Bad Gateway',
    type: 'app-bad-answer',
    detail: `${app} sent ${what}.`,
    extensions: { app },
  });
}

// An app's 4xx/503 problem keeps its status and fields; anything else is a 502.
function passOn(app: AppName, answer: AppAnswer): ProblemException {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(answer.text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: described by status alone.
  }
  const passable =
    (answer.status >= 400 && answer.status < 500) || answer.status === 503;
  if (!passable) return badAnswer(app, `status ${answer.status}`);
  const extensions: Record<string, unknown> = { app };
  for (const [key, value] of Object.entries(body))
    if (!STANDARD_FIELDS.has(key)) extensions[key] = value;
  // Older status builds put the state name ("Not-Found") in "status".
  if (
    typeof body['status'] === 'string' &&
    extensions['scanStatus'] === undefined
  )
    extensions['scanStatus'] = body['status'];
  const type = typeof body['type'] === 'string' ? body['type'] : '';
  return new ProblemException({
    status: answer.status,
    title: typeof body['title'] === 'string' ? body['title'] : 'Error',
    detail:
      typeof body['detail'] === 'string'
        ? body['detail']
        : `${app} answered ${answer.status}.`,
    type: type.split('/').pop() || 'app-error',
    extensions,
  });
}
