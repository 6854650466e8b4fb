import {
  AppProcess,
  LogLine,
  RecordingUpstream,
  startApp,
} from '@gatehouse/shared/testing';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GatewayUnderTest {
  gateway: AppProcess;
  upstream: RecordingUpstream;
  errorLogPath: string;
  requestLines(): LogLine[];
  errorLogLines(): LogLine[];
  stop(): Promise<void>;
}

// A real gateway process in front of a recording upstream, both on real sockets.
export async function startGatewayWithRecorder(
  env: Record<string, string> = {},
): Promise<GatewayUnderTest> {
  const upstream = new RecordingUpstream();
  const upstreamUrl = await upstream.listen();
  const errorLogPath = join(
    mkdtempSync(join(tmpdir(), 'gatehouse-e2e-')),
    'upstream-errors.log',
  );
  const gateway = await startApp('gateway', {
    env: { BACKEND_URL: upstreamUrl, UPSTREAM_ERROR_LOG: errorLogPath, ...env },
    readyPath: '/_gateway/health/live',
  });
  return {
    gateway,
    upstream,
    errorLogPath,
    requestLines: () =>
      gateway.logs.filter((line) => line['msg'] === 'request'),
    errorLogLines: () =>
      existsSync(errorLogPath)
        ? readFileSync(errorLogPath, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as LogLine)
        : [],
    stop: async () => {
      await gateway.stop();
      await upstream.close();
    },
  };
}

export interface RawResponse {
  status: number;
  head: string;
  headers: Record<string, string>;
  body: Buffer;
}

// Sends bytes exactly as given: no client library gets to normalise the request line or headers.
export function rawRequest(
  port: number,
  request: string | Buffer,
  timeoutMs = 10_000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => socket.destroy(new Error('raw request timed out')),
      timeoutMs,
    );
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A server may reset after answering; what arrived still counts.
      if (chunks.length > 0 && error.code === 'ECONNRESET') socket.emit('end');
      else reject(error);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split).toString('latin1');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line
          .slice(colon + 1)
          .trim();
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        head,
        headers,
        body: all.subarray(split + 4),
      });
    });
    socket.write(request);
  });
}
