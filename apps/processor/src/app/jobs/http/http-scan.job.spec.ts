import type { ClaimedScan } from '@gatehouse/scans/data-access';
import { ScanScope, systemResolver } from '@gatehouse/scans/target-scope';
import { once } from 'node:events';
import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { ScanJobError } from '../../scan-job';
import { StopRun } from '../../stop-run';
import { httpScanJob, HttpScanOptions, targetUrl } from './http-scan.job';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

// The job itself against real servers on loopback (the e2e suite drives it through the apps).
describe('httpScanJob (S-14, S-15)', () => {
  const servers: Server[] = [];
  let tls: { key: string; cert: string };

  const listen = async (server: Server): Promise<number> => {
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  };
  const http = (handler: Handler) => listen(createServer(handler));
  const https = (handler: Handler) =>
    listen(createHttpsServer(tls, handler) as unknown as Server);

  const scan = (target: string | null): ClaimedScan => ({
    scanId: 's',
    attempt: 1,
    seq: 1,
    runAttempt: 1,
    kind: 'http',
    target,
    leaseUntil: new Date(),
    reclaimed: false,
  });

  const job = (overrides: Partial<HttpScanOptions> = {}) =>
    httpScanJob({
      scope: ScanScope.fromLists(['127.0.0.1'], []),
      resolve: systemResolver(),
      timeoutMs: 3_000,
      maxRedirects: 5,
      maxBodyBytes: 1_024,
      ...overrides,
    });

  const failure = async (run: Promise<unknown>): Promise<ScanJobError> => {
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScanJobError);
    return error as ScanJobError;
  };

  beforeAll(async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
      ],
    } as never);
    tls = { key: pems.private, cert: pems.cert };
  });

  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
  });

  it('reads a host without a scheme as https', () => {
    expect(targetUrl('example.com').href).toBe('https://example.com/');
    expect(targetUrl('2606:4700::1').href).toBe('https://[2606:4700::1]/');
    expect(targetUrl('http://a.example/x').href).toBe('http://a.example/x');
  });

  it('tries plain http next to an https target on the well-known port, and judges its redirect', async () => {
    const secure = await https((_req, res) => res.end('ok'));
    const redirecting = await http((_req, res) => {
      res.writeHead(301, { location: `https://127.0.0.1:${secure}/` });
      res.end();
    });
    const upgraded = await job({
      ports: { https: secure, http: redirecting },
    })(scan(`https://127.0.0.1:${secure}/`), new AbortController().signal);
    expect(upgraded).toMatchObject({ http: { httpsRedirect: true } });
    expect(upgraded?.findings.map((f) => f.check)).not.toContain(
      'http.no-https-redirect',
    );

    const plain = await http((_req, res) => res.end('no redirect'));
    const stays = await job({ ports: { https: secure, http: plain } })(
      scan(`https://127.0.0.1:${secure}/`),
      new AbortController().signal,
    );
    expect(stays).toMatchObject({ http: { httpsRedirect: false } });
    expect(stays?.findings.map((f) => f.check)).toContain(
      'http.no-https-redirect',
    );
  });

  it('an http target that redirects to https has no http.no-https-redirect finding', async () => {
    const secure = await https((_req, res) => res.end('ok'));
    const plain = await http((_req, res) => {
      res.writeHead(308, { location: `https://127.0.0.1:${secure}/` });
      res.end();
    });
    const result = await job()(
      scan(`http://127.0.0.1:${plain}/`),
      new AbortController().signal,
    );
    expect(result).toMatchObject({
      http: {
        httpsRedirect: true,
        finalUrl: `https://127.0.0.1:${secure}/`,
        status: 200,
      },
    });
    expect(result?.findings.map((f) => f.check)).not.toContain(
      'http.no-https-redirect',
    );
    // The final response is https: its missing HSTS counts.
    expect(result?.findings.map((f) => f.check)).toContain(
      'headers.hsts.missing',
    );
    // And its certificate is examined too.
    expect(result?.tls).toMatchObject({ trusted: false, nameMatches: true });
    expect(result?.findings.map((f) => f.check)).toContain(
      'tls.certificate.untrusted',
    );
  });

  it('keeps the TLS facts when the HTTP part runs past the deadline', async () => {
    const silent = await https(() => undefined);
    const error = await failure(
      job({ timeoutMs: 800 })(
        scan(`https://127.0.0.1:${silent}/`),
        new AbortController().signal,
      ),
    );
    expect(error.message).toMatch(/deadline of 800 ms/);
    expect(error.retryable).toBe(true);
    expect(error.result?.tls).toMatchObject({ trusted: false });
    expect(error.result?.findings.map((f) => f.check)).toContain(
      'tls.certificate.untrusted',
    );
  });

  it("stops at once on the worker's abort, with the worker's reason", async () => {
    const silent = await http(() => undefined);
    const controller = new AbortController();
    const run = job({ timeoutMs: 60_000 })(
      scan(`http://127.0.0.1:${silent}/`),
      controller.signal,
    );
    const started = Date.now();
    setTimeout(() => controller.abort(new StopRun('shutdown')), 100);
    await expect(run).rejects.toBeInstanceOf(StopRun);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses out-of-scope targets permanently, and needs a target', async () => {
    const strict = job({ scope: new ScanScope() });
    const refused = await failure(
      strict(scan('http://127.0.0.1:1/'), new AbortController().signal),
    );
    expect(refused.permanent).toBe(true);
    expect(refused.message).toMatch(
      /out of scope: address 127\.0\.0\.1 is a loopback/,
    );
    const none = await failure(job()(scan(null), new AbortController().signal));
    expect(none.permanent).toBe(true);
  });

  it('reports an unreachable target as a transient failure', async () => {
    const closed = await http(() => undefined);
    servers.pop()?.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const error = await failure(
      job()(scan(`http://127.0.0.1:${closed}/`), new AbortController().signal),
    );
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.retryable).toBe(true);
  });
});
