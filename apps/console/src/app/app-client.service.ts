import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { STATUS_CODES } from 'node:http';
import { CONSOLE_CONFIG, ConsoleConfig } from './console.config';

export type AppName = 'gateway' | 'ingest' | 'status';

export interface AppAnswer {
  status: number;
  contentType: string;
  text: string;
}

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
        text: await this.boundedText(app, response),
      };
    } catch (error) {
      if (error instanceof ProblemException) throw error;
      throw unreachable(app);
    }
  }

  // O-1: an app's answer is read up to CALL_MAX_BYTES, checked on the wire, never buffered whole.
  private async boundedText(app: AppName, response: Response): Promise<string> {
    const limit = this.config.CALL_MAX_BYTES;
    const declared = Number(response.headers.get('content-length') ?? '');
    if (!response.body) return '';
    const reader = response.body.getReader();
    if (Number.isFinite(declared) && declared > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(app, limit);
    }
    const chunks: Uint8Array[] = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(app, limit);
      }
      chunks.push(value);
    }
    // As response.text() would: UTF-8, a BOM dropped.
    return new TextDecoder().decode(Buffer.concat(chunks));
  }

  // A 2xx JSON answer, or the app's error status passed on under a generic title.
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

function tooLarge(app: AppName, limit: number): ProblemException {
  return new ProblemException({
    status: 502,
    title: 'Bad Gateway',
    type: 'app-answer-too-large',
    detail: `${app} sent an answer larger than ${limit} bytes.`,
    extensions: { app },
  });
}

function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

// O-1: an app's 4xx/503 keeps its status and gets a generic title; nothing the app wrote
// (detail, type, extensions, headers) is relayed, since it may carry stacks or host names.
function passOn(app: AppName, answer: AppAnswer): ProblemException {
  const passable =
    (answer.status >= 400 && answer.status < 500) || answer.status === 503;
  if (!passable) return badAnswer(app, `status ${answer.status}`);
  const title = STATUS_CODES[answer.status] ?? 'Error';
  return new ProblemException({
    status: answer.status,
    title,
    detail: `${app} answered ${answer.status} ${title}.`,
    type: slug(title) || 'app-error',
    extensions: { app },
  });
}
