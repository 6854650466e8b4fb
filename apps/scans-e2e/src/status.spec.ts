import { AppProcess, ensureMongoUri } from '@gatehouse/shared/testing';
import type { ScanListResponse } from '@gatehouse/shared/contracts';
import {
  createScans,
  JsonResponse,
  databaseUri,
  request,
  startApp,
  stopAll,
} from './support/scans-e2e.helpers';

describe('status: GET /scans, /scans/:id, /scans/summary', () => {
  let db: { uri: string; stop(): Promise<void> };
  let ingest: AppProcess;
  let status: AppProcess;
  let ids: string[] = [];

  beforeAll(async () => {
    db = await ensureMongoUri();
    const uri = databaseUri(db.uri, 'e2e_status');
    [ingest, status] = await Promise.all([
      startApp('ingest', { env: { MONGODB_URI: uri } }),
      startApp('status', { env: { MONGODB_URI: uri } }),
    ]);
    // One at a time: the tests below read "newest first" as the order the scans were queued,
    // which scans queued in parallel do not have.
    ids = await createScans(ingest, 25, 1);
  }, 240_000);

  afterAll(async () => {
    await stopAll([ingest, status]);
    await db?.stop();
  });

  it('S-10: returns a scan by id with every S-2 field', async () => {
    const response = await request(`${status.url}/scans/${ids[0]}`);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(
      [
        'attempts',
        'callbackUrl',
        'cancelRequestedAt',
        'createdAt',
        'error',
        'finishedAt',
        'kind',
        'leaseUntil',
        'nextAttemptAt',
        'result',
        'scanId',
        'startedAt',
        'status',
        'target',
        'updatedAt',
        'workerId',
      ].sort(),
    );
  });

  it('S-10: an unknown id is 404 problem+json with a numeric status and "scanStatus": "Not-Found"', async () => {
    const response = await request(
      `${status.url}/scans/0b8f8d4e-6f1c-4a0e-9d1e-3f4b5a6c7d8e`,
    );
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain(
      'application/problem+json',
    );
    expect(response.body).toMatchObject({
      status: 404,
      scanStatus: 'Not-Found',
      title: 'Not Found',
      instance: '/scans/0b8f8d4e-6f1c-4a0e-9d1e-3f4b5a6c7d8e',
    });
  });

  it.each([
    'abc',
    '123',
    '0b8f8d4e-6f1c-1a0e-9d1e-3f4b5a6c7d8e',
    `${'a'.repeat(300)}`,
    '%7B%22%24ne%22%3A1%7D',
  ])('S-10: a malformed id (%s) is 400 problem+json', async (id) => {
    const response = await request(`${status.url}/scans/${id}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain(
      'application/problem+json',
    );
  });

  it('S-11: pages newest first with nextCursor, null on the last page', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url = `${status.url}/scans?limit=10${cursor ? `&cursor=${cursor}` : ''}`;
      const page: ScanListResponse = (await request<ScanListResponse>(url))
        .body;
      seen.push(...page.items.map((item) => item.scanId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen[0]).toBe(ids[ids.length - 1]);
  });

  it('S-11: filters by status', async () => {
    const accepted = await request<ScanListResponse>(
      `${status.url}/scans?status=Accepted&limit=100`,
    );
    expect(accepted.body.items).toHaveLength(25);
    expect(accepted.body.nextCursor).toBeNull();
    const complete = await request<ScanListResponse>(
      `${status.url}/scans?status=Complete`,
    );
    expect(complete.body).toEqual({ items: [], nextCursor: null });
  });

  it('S-18: finds scans by target prefix and creation window, cursor-paged, newest first', async () => {
    const page = async (
      query: string,
      cursor: string | null,
    ): Promise<JsonResponse<ScanListResponse>> =>
      request<ScanListResponse>(
        `${status.url}/scans?${query}&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
    const pages = async (query: string): Promise<string[]> => {
      const found: string[] = [];
      let cursor: string | null = null;
      do {
        const answer = await page(query, cursor);
        expect(answer.status).toBe(200);
        found.push(...answer.body.items.map((item) => String(item.target)));
        cursor = answer.body.nextCursor;
      } while (cursor);
      return found;
    };
    // host-1 and host-10..host-19, newest first; the host part is matched case-insensitively.
    const prefixed = await pages('target=HOST-1');
    expect(prefixed).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `host-${19 - i}.example`),
      'host-1.example',
    ]);
    expect(await pages('target=host-2&status=Accepted')).toHaveLength(6);
    expect(await pages('target=host-2&status=Complete')).toEqual([]);
    expect(await pages('target=nothing-here')).toEqual([]);
    // The window [createdAt of host-5, createdAt of host-20) holds the scans queued in between.
    const at = async (id: string) =>
      String((await request(`${status.url}/scans/${id}`)).body['createdAt']);
    const from = await at(ids[5]);
    const to = await at(ids[20]);
    const windowed = await pages(
      `createdFrom=${encodeURIComponent(from)}&createdTo=${encodeURIComponent(to)}`,
    );
    expect(windowed.length).toBeGreaterThanOrEqual(1);
    expect(windowed).toContain('host-5.example');
    expect(windowed).not.toContain('host-20.example');
    expect(windowed).not.toContain('host-4.example');
    const both = await pages(
      `target=host-1&createdFrom=${encodeURIComponent(from)}&createdTo=${encodeURIComponent(to)}`,
    );
    expect(both.every((target) => target.startsWith('host-1'))).toBe(true);
    expect(both).not.toContain('host-1.example');
  });

  it.each([
    ['an unknown parameter', 'foo=1'],
    ['an operator smuggled in a key', 'status[$ne]=x'],
    ['a repeated parameter', 'status=Accepted&status=Running'],
    ['an unknown status', 'status=Done'],
    ['limit 0', 'limit=0'],
    ['limit too large', 'limit=1000'],
    ['a non-numeric limit', 'limit=ten'],
    ['a forged cursor', 'cursor=bm90LWEtY3Vyc29y'],
    ['an empty target prefix', 'target='],
    ['an operator as the target', 'target[$regex]=.*'],
    ['a date that is not one', 'createdFrom=last-week'],
    [
      'an empty window',
      'createdFrom=2026-12-06T10:00:00Z&createdTo=2026-12-06T10:00:00Z',
    ],
  ])('S-11 and Errors: %s is 400 problem+json', async (_what, query) => {
    const response = await request(`${status.url}/scans?${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain(
      'application/problem+json',
    );
  });

  it('S-11: /scans/summary counts by status', async () => {
    const response = await request(`${status.url}/scans/summary`);
    expect(response.body).toEqual({
      Accepted: 25,
      Running: 0,
      Complete: 0,
      Failed: 0,
      Cancelled: 0,
      total: 25,
    });
  });

  it('Errors: an unknown query parameter on any route is a 400 problem naming it, with the request id (S-10, S-11, S-12)', async () => {
    for (const path of [
      '/scans/summary?foo=1',
      `/scans/${ids[0]}?fields=all`,
      `/scans/${ids[0]}/attempts?x`,
      '/scans?limit=1&sort=asc',
      '/health/live?x=1',
      '/health/ready?x=1',
      '/metrics?name[]=up',
    ]) {
      const response = await request(`${status.url}${path}`, {
        headers: { 'x-request-id': 'status-unknown-query' },
      });
      expect([path, response.status]).toEqual([path, 400]);
      expect(response.headers.get('content-type')).toContain(
        'application/problem+json',
      );
      expect(response.headers.get('x-request-id')).toBe('status-unknown-query');
      expect(response.body).toMatchObject({
        status: 400,
        requestId: 'status-unknown-query',
        detail: expect.stringMatching(/^Unknown query parameter\(s\): "/),
      });
    }
    // The parameters a route documents still work.
    expect(
      (await request(`${status.url}/scans?limit=1&status=Accepted`)).status,
    ).toBe(200);
  });

  it('S-12: /health/live, /health/ready and /metrics', async () => {
    expect((await request(`${status.url}/health/live`)).status).toBe(200);
    expect((await request(`${status.url}/health/ready`)).body).toMatchObject({
      status: 'ok',
      info: { mongodb: { status: 'up' } },
    });
    expect((await request(`${status.url}/metrics`)).text).toContain(
      'process_cpu_seconds_total',
    );
  });
});
