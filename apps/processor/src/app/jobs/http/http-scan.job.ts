import {
  ScanFinding,
  ScanHttpFacts,
  ScanResult,
  ScanTlsFacts,
  summariseFindings,
} from '@gatehouse/shared/contracts';
import {
  OutOfScopeError,
  Resolve,
  ResolvedAddress,
  ResolveError,
  resolveInScope,
  ScanScope,
} from '@gatehouse/scans/target-scope';
import { isIP } from 'node:net';
import { ScanJob, ScanJobError } from '../../scan-job';
import { StopRun } from '../../stop-run';
import { fetchOnce, HopResponse } from './http-probe';
import {
  httpFindings,
  noHttpsRedirect,
  parseSetCookie,
  SECURITY_HEADERS,
  tlsFindings,
} from './http-checks';
import { probeTls } from './tls-probe';

export interface HttpScanOptions {
  scope: ScanScope;
  resolve: Resolve;
  timeoutMs: number;
  maxRedirects: number;
  maxBodyBytes: number;
  now?: () => Date;
  // The well-known ports: an https target on `https` also has plain http tried on `http`.
  ports?: { https: number; http: number };
}

const WELL_KNOWN = { https: 443, http: 80 };

// What a scan has found so far; kept when it fails part-way (S-14).
class Findings {
  readonly findings: ScanFinding[] = [];
  tls: ScanTlsFacts | null = null;
  http: ScanHttpFacts | null = null;

  result(): ScanResult {
    return {
      ...summariseFindings(this.findings),
      tls: this.tls,
      http: this.http,
    };
  }
}

// A target as S-14 reads it: a URL, or a host (https:// assumed).
export function targetUrl(target: string): URL {
  const text = /^https?:\/\//i.test(target)
    ? target
    : `https://${isIP(target) === 6 ? `[${target}]` : target}`;
  return new URL(text);
}

function defaultPort(url: URL): number {
  return url.port !== ''
    ? Number(url.port)
    : url.protocol === 'https:'
      ? 443
      : 80;
}

// Network failures that a later attempt may not meet (S-16).
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string'
    ? code
    : String((error as Error).message ?? error);
}

// S-14: the `http` scan. TLS facts of an https target, then a GET that follows at most
// SCAN_MAX_REDIRECTS redirects (each checked against the scope, S-15), the security headers and
// cookies of the final response, and whether plain http redirects to https.
export function httpScanJob(options: HttpScanOptions): ScanJob {
  const now = options.now ?? (() => new Date());
  return async (scan, signal) => {
    if (scan.target === null)
      throw new ScanJobError('an http scan needs a target');
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const run = AbortSignal.any([signal, deadline]);
    const found = new Findings();
    try {
      await scanTarget(targetUrl(scan.target), run, found, options, now);
      return found.result();
    } catch (error) {
      const result = found.result();
      // The worker's own abort: shutdown and a lost lease record nothing; a cancel (S-17)
      // keeps what was found.
      if (signal.aborted) {
        if (signal.reason instanceof StopRun) signal.reason.partial = result;
        throw signal.reason;
      }
      if (deadline.aborted)
        throw new ScanJobError(
          `scan deadline of ${options.timeoutMs} ms passed (SCAN_TIMEOUT_MS)`,
          { result, retryable: true },
        );
      // S-16: out of scope is permanent; a DNS failure, a reset or refused connection is not.
      if (error instanceof OutOfScopeError)
        throw new ScanJobError(error.message, { result });
      if (error instanceof ResolveError)
        throw new ScanJobError(error.message, { result, retryable: true });
      if (error instanceof ScanJobError)
        throw new ScanJobError(error.message, {
          result,
          retryable: error.retryable,
        });
      const code = errorCode(error);
      throw new ScanJobError(`http scan failed: ${code}`, {
        result,
        retryable: TRANSIENT_CODES.has(code),
      });
    }
  };
}

async function scanTarget(
  start: URL,
  signal: AbortSignal,
  found: Findings,
  options: HttpScanOptions,
  now: () => Date,
): Promise<void> {
  const first = await resolveInScope(
    options.scope,
    start.hostname,
    options.resolve,
    signal,
  );
  if (start.protocol === 'https:') {
    found.tls = await probeTls(
      { hostname: start.hostname, port: defaultPort(start), address: first },
      signal,
      now(),
    );
    found.findings.push(...tlsFindings(found.tls));
  }

  // Redirects, each hop's host checked (and resolved once) before it is contacted.
  const redirects: { url: string; status: number }[] = [];
  const addresses = new Map<string, ResolvedAddress>([[start.hostname, first]]);
  let url = start;
  let response: HopResponse;
  for (;;) {
    let address = addresses.get(url.hostname);
    if (!address) {
      address = await resolveInScope(
        options.scope,
        url.hostname,
        options.resolve,
        signal,
      );
      addresses.set(url.hostname, address);
    }
    response = await fetchOnce(url, address, {
      maxBodyBytes: options.maxBodyBytes,
      signal,
    });
    const location = response.headers.location;
    if (response.status < 300 || response.status >= 400 || !location) break;
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      break;
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') break;
    redirects.push({ url: url.href, status: response.status });
    if (redirects.length > options.maxRedirects) {
      redirects.pop();
      break;
    }
    url = next;
    // Checked now, so a redirect out of scope fails the scan with the scope's reason.
    if (!addresses.has(url.hostname)) {
      const checked = await resolveInScope(
        options.scope,
        url.hostname,
        options.resolve,
        signal,
      ).catch((error: unknown) => {
        if (error instanceof OutOfScopeError)
          throw new OutOfScopeError(
            `redirect from ${redirects[redirects.length - 1].url} to ${url.href}: ${error.message.replace(/^target out of scope: /, '')}`,
          );
        throw error;
      });
      addresses.set(url.hostname, checked);
    }
  }

  const securityHeaders: Record<string, string> = {};
  for (const name of SECURITY_HEADERS) {
    const value = response.headers[name];
    if (value !== undefined)
      securityHeaders[name] = (
        Array.isArray(value) ? value.join(', ') : value
      ).slice(0, 1024);
  }
  const server = response.headers['server'];
  found.http = {
    status: response.status,
    finalUrl: url.href,
    redirects,
    server: typeof server === 'string' ? server.slice(0, 256) : null,
    securityHeaders,
    cookies: (response.headers['set-cookie'] ?? [])
      .slice(0, 50)
      .map(parseSetCookie),
    bodyBytes: response.bodyBytes,
    bodyTruncated: response.bodyTruncated,
    httpsRedirect: null,
  };
  found.findings.push(...httpFindings(found.http, url));

  // An http target that ends on https: the TLS facts are those of the final host, at the
  // address its redirect was checked at.
  const finalAddress = addresses.get(url.hostname);
  if (found.tls === null && url.protocol === 'https:' && finalAddress) {
    found.tls = await probeTls(
      { hostname: url.hostname, port: defaultPort(url), address: finalAddress },
      signal,
      now(),
    );
    found.findings.push(...tlsFindings(found.tls));
  }

  // Plain http: an http target answers it from its own first hop; an https target on the
  // default port is tried on port 80 of the same checked address.
  if (start.protocol === 'http:') {
    const firstHop = redirects[0];
    const upgraded =
      firstHop !== undefined &&
      new URL(redirects[1]?.url ?? url.href).protocol === 'https:';
    found.http.httpsRedirect = upgraded;
    if (!upgraded)
      found.findings.push(
        noHttpsRedirect(
          `GET ${start.href} answered ${firstHop?.status ?? response.status} without a redirect to https`,
        ),
      );
  } else if (defaultPort(start) === (options.ports ?? WELL_KNOWN).https) {
    const plain = new URL(start.href);
    plain.protocol = 'http:';
    const http = (options.ports ?? WELL_KNOWN).http;
    plain.port = http === 80 ? '' : String(http);
    const answer = await fetchOnce(plain, first, {
      maxBodyBytes: Math.min(options.maxBodyBytes, 65_536),
      signal,
    }).catch((error: unknown) => {
      if (signal.aborted) throw error;
      return null; // Nothing listening on port 80 is not a finding.
    });
    if (answer !== null) {
      const location = answer.headers.location;
      let upgraded = false;
      try {
        upgraded =
          answer.status >= 300 &&
          answer.status < 400 &&
          location !== undefined &&
          new URL(location, plain).protocol === 'https:';
      } catch {
        upgraded = false;
      }
      found.http.httpsRedirect = upgraded;
      if (!upgraded)
        found.findings.push(
          noHttpsRedirect(
            `GET ${plain.href} answered ${answer.status} without a redirect to https`,
          ),
        );
    }
  }
}
