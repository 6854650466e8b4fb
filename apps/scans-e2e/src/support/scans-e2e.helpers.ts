import {
  AppProcess,
  eventually,
  startApp as startAnyApp,
  StartAppOptions,
} from '@gatehouse/shared/testing';
import type {
  ScanListResponse,
  ScanSummaryResponse,
  ScanView,
} from '@gatehouse/shared/contracts';
import { randomUUID } from 'node:crypto';

// Each spec file gets its own database, so totals are exact even on a shared MongoDB.
export function databaseUri(base: string, prefix: string): string {
  const url = new URL(base);
  url.pathname = `/${prefix}_${randomUUID().slice(0, 8)}`;
  return url.toString();
}

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function request<T = Record<string, unknown>>(
  url: string,
  init: RequestInit = {},
): Promise<JsonResponse<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return {
    status: response.status,
    headers: response.headers,
    body: body as T,
    text,
  };
}

export function postScan(
  ingest: AppProcess,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  return request(`${ingest.url}/scans`, {
    method: 'POST',
    headers:
      body === undefined
        ? headers
        : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function createScans(
  ingest: AppProcess,
  count: number,
  parallel = 10,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(parallel, count - i) }, (_, j) =>
        postScan(ingest, { target: `host-${i + j}.example` }),
      ),
    );
    for (const response of batch) {
      if (response.status !== 202)
        throw new Error(
          `POST /scans answered ${response.status}: ${response.text}`,
        );
      ids.push(String(response.body['scanId']));
    }
  }
  return ids;
}

export async function summary(
  status: AppProcess,
): Promise<ScanSummaryResponse> {
  return (await request<ScanSummaryResponse>(`${status.url}/scans/summary`))
    .body;
}

export async function getScan(
  status: AppProcess,
  id: string,
): Promise<ScanView> {
  const response = await request<ScanView>(`${status.url}/scans/${id}`);
  if (response.status !== 200)
    throw new Error(
      `GET /scans/${id} answered ${response.status}: ${response.text}`,
    );
  return response.body;
}

export async function allScans(status: AppProcess): Promise<ScanView[]> {
  const items: ScanView[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor
      ? `limit=100&cursor=${encodeURIComponent(cursor)}`
      : 'limit=100';
    const page: JsonResponse<ScanListResponse> =
      await request<ScanListResponse>(`${status.url}/scans?${query}`);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

export function waitForSummary(
  status: AppProcess,
  done: (s: ScanSummaryResponse) => boolean,
  timeoutMs: number,
  what: string,
): Promise<ScanSummaryResponse> {
  let last: ScanSummaryResponse | undefined;
  return eventually(
    async () => {
      // Poll gently: the apps under test share two cores with this process.
      await new Promise((resolve) => setTimeout(resolve, 150));
      last = await summary(status);
      return done(last) ? last : undefined;
    },
    timeoutMs,
    `${what} (last summary ${JSON.stringify(last)})`,
  );
}

export async function stopAll(apps: (AppProcess | undefined)[]): Promise<void> {
  await Promise.all(apps.map((app) => app?.stop('SIGKILL')));
}

// The scan apps listen before their database is reachable (S-3): a test that needs them working
// waits for readiness, not just for the socket.
export function startApp(
  app: string,
  options: StartAppOptions = {},
): Promise<AppProcess> {
  return startAnyApp(app, { readyPath: '/health/ready', ...options });
}

// Polls GET /scans/<id> until `done` holds.
export function eventuallyScan(
  status: AppProcess,
  id: string,
  done: (scan: ScanView) => boolean,
  timeoutMs: number,
): Promise<ScanView> {
  let last: ScanView | undefined;
  return eventually(
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      last = await getScan(status, id);
      return done(last) ? last : undefined;
    },
    timeoutMs,
    `scan ${id} (last seen ${JSON.stringify(last)})`,
  );
}
