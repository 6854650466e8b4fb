import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: IncomingMessage['headers'];
  body: Buffer;
  receivedAt: number;
}

export type UpstreamHandler = (
  req: RecordedRequest,
  res: ServerResponse,
) => void;

// A plain HTTP server that records every request byte for byte and answers as a test scripts it.
export class RecordingUpstream {
  readonly requests: RecordedRequest[] = [];
  private handler: UpstreamHandler = (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  };
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 1_000;
  }

  respond(handler: UpstreamHandler): void {
    this.handler = handler;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) =>
      this.server.listen(0, '127.0.0.1', resolve),
    );
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        rawHeaders: req.rawHeaders,
        headers: req.headers,
        body: Buffer.concat(chunks),
        receivedAt: Date.now(),
      };
      this.requests.push(recorded);
      this.handler(recorded, res);
    });
  }
}
