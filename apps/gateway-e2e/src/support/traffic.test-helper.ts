import { AppProcess, LogLine, startApp } from '@gatehouse/shared/testing';
import { request } from 'undici';

export interface Timed {
  status: number;
  ms: number;
  headers: Headers;
  body: string;
}

export async function timedFetch(
  url: string,
  init: RequestInit = {},
): Promise<Timed> {
  const started = performance.now();
  const response = await fetch(url, init);
  const body = await response.text();
  return {
    status: response.status,
    ms: performance.now() - started,
    headers: response.headers,
    body,
  };
}

export function requestLines(app: AppProcess): LogLine[] {
  return app.logs.filter((line) => line['msg'] === 'request');
}

export function startBackend(
  env: Record<string, string> = {},
): Promise<AppProcess> {
  return startApp('backend', { env, readyPath: '/health/live' });
}

export function startGateway(env: Record<string, string>): Promise<AppProcess> {
  return startApp('gateway', {
    env: { UPSTREAM_ERROR_LOG: '/dev/null', ...env },
    readyPath: '/_gateway/health/live',
  });
}

// Scripts the backend's /api/work (B-2): [[body, status, delayMs], ...].
export async function scenario(
  backend: AppProcess,
  steps: [unknown, number, number][],
): Promise<void> {
  const response = await fetch(`${backend.url}/_mock/scenario`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(steps),
  });
  if (response.status !== 200)
    throw new Error(`scenario refused: ${await response.text()}`);
}

export async function workTimestamps(backend: AppProcess): Promise<number[]> {
  const response = await fetch(`${backend.url}/_mock/requests`);
  return ((await response.json()) as { timestamps: number[] }).timestamps;
}

// A GET with headers fetch will not send (Host): replicas behind one load balancer see the same Host.
export async function getWithHeaders(
  url: string,
  headers: Record<string, string>,
): Promise<Timed> {
  const started = performance.now();
  const response = await request(url, { headers });
  const body = await response.body.text();
  return {
    status: response.statusCode,
    ms: performance.now() - started,
    headers: new Headers(
      Object.entries(response.headers).map(
        ([name, value]) =>
          [name, Array.isArray(value) ? value.join(', ') : String(value)] as [
            string,
            string,
          ],
      ),
    ),
    body,
  };
}
