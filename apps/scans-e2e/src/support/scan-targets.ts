import { once } from 'node:events';
import { createServer as createHttpServer, Server } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TargetServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const DAY_MS = 86_400_000;

// A self-signed certificate for 127.0.0.1 that expires in `days` days.
export async function shortLivedCertificate(
  days: number,
  commonName = '127.0.0.1',
  altNames: { type: 2 | 7; value?: string; ip?: string }[] = [
    { type: 7, ip: '127.0.0.1' },
    { type: 2, value: 'localhost' },
  ],
): Promise<{ key: string; cert: string }> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - (Math.abs(days) + 10) * DAY_MS),
    notAfterDate: new Date(now + days * DAY_MS),
    extensions: [
      {
        name: 'subjectAltName',
        altNames,
      },
    ],
  } as never);
  return { key: pems.private, cert: pems.cert };
}

async function listen(server: Server, scheme: string): Promise<TargetServer> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function httpTarget(handler: Handler): Promise<TargetServer> {
  return listen(createHttpServer(handler), 'http');
}

export async function httpsTarget(
  handler: Handler,
  tls: {
    key: string;
    cert: string;
    minVersion?: 'TLSv1' | 'TLSv1.2';
    ciphers?: string;
  },
): Promise<TargetServer> {
  return listen(createHttpsServer(tls, handler) as unknown as Server, 'https');
}

// A page with none of the security headers, and cookies that lack Secure, HttpOnly or SameSite.
export const carelessPage: Handler = (_req, res) => {
  res.setHeader('server', 'careless/1.0');
  res.setHeader('set-cookie', [
    'session=secret-value; Path=/',
    'prefs=dark; Path=/; HttpOnly; SameSite=Lax',
    'good=1; Secure; HttpOnly; SameSite=Strict',
  ]);
  res.setHeader('content-type', 'text/html');
  res.end('<html><body>careless</body></html>');
};

// A page with every header S-14 checks for.
export const carefulPage: Handler = (_req, res) => {
  res.setHeader('strict-transport-security', 'max-age=63072000');
  res.setHeader(
    'content-security-policy',
    "default-src 'self'; frame-ancestors 'none'",
  );
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('set-cookie', 'sid=1; Secure; HttpOnly; SameSite=Strict');
  res.end('careful');
};
