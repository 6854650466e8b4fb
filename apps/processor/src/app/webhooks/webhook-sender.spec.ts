import type { ClaimedDelivery } from '@gatehouse/scans/data-access';
import { ScanScope, systemResolver } from '@gatehouse/scans/target-scope';
import type { ScanView } from '@gatehouse/shared/contracts';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { sendWebhook, WebhookSenderOptions } from './webhook-sender';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

describe('sendWebhook (S-19)', () => {
  let server: Server;
  let answer: (res: import('node:http').ServerResponse) => void;
  let seen: { headers: IncomingHttpHeaders; body: string }[];

  const options = (
    overrides: Partial<WebhookSenderOptions> = {},
  ): WebhookSenderOptions => ({
    scope: ScanScope.fromLists(['127.0.0.1'], []),
    resolve: systemResolver(),
    secret: SECRET,
    timeoutMs: 500,
    ...overrides,
  });

  const delivery = (
    url = `http://127.0.0.1:${port()}/hook`,
  ): ClaimedDelivery => ({
    id: 'scan-1:2',
    scanId: 'scan-1',
    endSeq: 2,
    url,
    attempt: 1,
    payload: { scanId: 'scan-1', status: 'Complete' } as ScanView,
  });

  const port = () => (server.address() as AddressInfo).port;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        answer(res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  beforeEach(() => {
    seen = [];
    answer = (res) => res.end('ok');
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('posts the payload signed by the Standard Webhooks scheme', async () => {
    const at = new Date('2026-12-06T12:00:00Z');
    const result = await sendWebhook(
      delivery(),
      options(),
      new AbortController().signal,
      () => at,
    );
    expect(result).toEqual({ delivered: true, httpStatus: 200 });
    const [{ headers, body }] = seen;
    expect(headers['webhook-id']).toBe('scan-1:2');
    expect(headers['webhook-timestamp']).toBe(String(at.getTime() / 1_000));
    expect(headers['webhook-signature']).toBe(
      new Webhook(SECRET).sign('scan-1:2', at, body),
    );
    expect(JSON.parse(body)).toEqual({ scanId: 'scan-1', status: 'Complete' });
  });

  it('counts a non-2xx answer, a redirect included, as a failed try', async () => {
    answer = (res) => {
      res.writeHead(302, { location: 'http://127.0.0.1/elsewhere' }).end();
    };
    expect(
      await sendWebhook(delivery(), options(), new AbortController().signal),
    ).toEqual({
      delivered: false,
      httpStatus: 302,
      error: 'callback answered 302',
    });
  });

  it('gives up on a callback that does not answer within the timeout', async () => {
    answer = () => undefined;
    const result = await sendWebhook(
      delivery(),
      options({ timeoutMs: 150 }),
      new AbortController().signal,
    );
    expect(result).toMatchObject({
      delivered: false,
      httpStatus: null,
      error: 'no answer within WEBHOOK_TIMEOUT_MS (150 ms)',
    });
  });

  it('refuses, for good, a callback out of the scan scope, without connecting (S-15)', async () => {
    const result = await sendWebhook(
      delivery(),
      options({ scope: ScanScope.fromLists([], []) }),
      new AbortController().signal,
    );
    expect(result).toMatchObject({ delivered: false, permanent: true });
    expect(result.error).toContain('out of scope');
    expect(seen).toHaveLength(0);
  });

  it('sends nothing unsigned when no secret is set', async () => {
    const result = await sendWebhook(
      delivery(),
      options({ secret: undefined }),
      new AbortController().signal,
    );
    expect(result.error).toContain('WEBHOOK_SECRET');
    expect(seen).toHaveLength(0);
  });
});
