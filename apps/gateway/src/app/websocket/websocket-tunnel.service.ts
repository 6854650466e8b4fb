import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { createHash } from 'node:crypto';
import {
  ClientRequest,
  IncomingMessage,
  request as httpRequest,
  RequestOptions,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
import { clientResponseHeaderList } from '../request/forward-headers';
import type { RequestContext, TunnelStats } from '../request/request-context';
import { UpstreamHeaders } from '../request/upstream-headers';
import type { UpstreamTarget } from '../request/upstream-target';

// Upstream failures before the tunnel is up carry the codes upstream-failure.ts maps.
class TunnelSetupError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TunnelSetupError';
  }
}

// RFC 6455 §1.3: the key the server must hash into Sec-WebSocket-Accept.
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function websocketAccept(key: string): string {
  return createHash('sha1')
    .update(key + WEBSOCKET_GUID)
    .digest('base64');
}

// How the upstream answered the handshake.
type HandshakeAnswer =
  | {
      kind: 'switched';
      response: IncomingMessage;
      socket: Socket;
      head: Buffer;
    }
  | { kind: 'answered'; response: IncomingMessage };

function hasToken(value: string | undefined, token: string): boolean {
  return (
    value !== undefined &&
    value.split(',').some((part) => part.trim().toLowerCase() === token)
  );
}

function asBuffers(raw: readonly string[]): Buffer[] {
  return raw.map((field) => Buffer.from(field, 'latin1'));
}

// G-1: an inspected `Upgrade: websocket` request is sent to the upstream as a handshake. Only a
// `101 Switching Protocols` with `Upgrade: websocket` and the right `Sec-WebSocket-Accept` turns
// the connection into a tunnel, as nginx and Envoy do; until then no byte of the client's
// (`head` included) reaches the upstream. Any other answer is relayed as a plain answer and the
// client's connection closes after it, so nothing the client sent behind the handshake is ever
// read. Tunnels are bounded by MAX_TUNNELS, MAX_TUNNELS_PER_CLIENT and TUNNEL_IDLE_MS; the
// request's one log line is written when the tunnel closes.
@Injectable()
export class WebSocketTunnels {
  private tunnels = 0;
  private readonly perClient = new Map<string, number>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly headers: UpstreamHeaders,
  ) {}

  get current(): number {
    return this.tunnels;
  }

  // Takes a tunnel slot or throws 503 (the gateway is full) or 429 (this client is); the
  // returned function gives it back exactly once.
  reserve(client: string): () => void {
    if (this.tunnels >= this.config.MAX_TUNNELS) {
      throw new ProblemException({
        status: 503,
        title: 'Service Unavailable',
        type: 'too-many-tunnels',
        detail: `The gateway is at its limit of ${this.config.MAX_TUNNELS} WebSocket tunnels.`,
        headers: { 'retry-after': '1' },
      });
    }
    const held = this.perClient.get(client) ?? 0;
    if (held >= this.config.MAX_TUNNELS_PER_CLIENT) {
      throw new ProblemException({
        status: 429,
        title: 'Too Many Requests',
        type: 'too-many-client-tunnels',
        detail: `A client may hold at most ${this.config.MAX_TUNNELS_PER_CLIENT} WebSocket tunnels at once.`,
        headers: { 'retry-after': '1' },
      });
    }
    this.tunnels++;
    this.perClient.set(client, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.tunnels--;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left === 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    };
  }

  // Sends the handshake upstream. Resolves once bytes flow both ways, or once the upstream's
  // other answer has been relayed; rejects (nothing sent to the client yet) when the upstream
  // cannot be reached, does not answer in time, or answers a handshake it did not complete.
  async open(
    context: RequestContext,
    target: UpstreamTarget,
    head: Buffer,
  ): Promise<void> {
    const release = this.reserve(context.client);
    let answer: HandshakeAnswer;
    try {
      answer = await this.handshake(context, target);
    } catch (error) {
      release();
      throw error;
    }
    if (answer.kind === 'switched') {
      this.join(context, answer, head, release);
      return;
    }
    release();
    await this.relay(context, answer.response);
  }

  private handshake(
    context: RequestContext,
    target: UpstreamTarget,
  ): Promise<HandshakeAnswer> {
    const { req } = context;
    const expected = websocketAccept(
      String(req.headers['sec-websocket-key'] ?? ''),
    );
    const url = new URL(target.origin);
    const secure = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // Upgrade and Connection are hop-by-hop: the gateway asks the upstream itself.
    const headers = this.headers.for(context, target);
    headers.push('connection', 'upgrade', 'upgrade', 'websocket');
    return new Promise<HandshakeAnswer>((resolve, reject) => {
      let upstream: ClientRequest;
      const timer = setTimeout(
        () =>
          upstream.destroy(
            new TunnelSetupError('ETIMEDOUT', 'upstream handshake timed out'),
          ),
        this.config.UPSTREAM_TIMEOUT_MS,
      );
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      try {
        const options: RequestOptions = {
          host,
          port: Number(url.port || (secure ? 443 : 80)),
          method: 'GET',
          path: target.path ?? context.target,
          headers,
          agent: false,
        };
        upstream = secure
          ? httpsRequest({
              ...options,
              servername: isIP(host) === 0 ? host : undefined,
            })
          : httpRequest(options);
      } catch (error) {
        fail(error as Error);
        return;
      }
      // Kept for the request's life: an error after the answer must not go unheard.
      upstream.on('error', fail);
      upstream.once('upgrade', (response, socket: Socket, upstreamHead) => {
        clearTimeout(timer);
        // Node hands over the socket only for a 101 that names an upgrade; the protocol and
        // the key's hash are the gateway's to check.
        const accept = response.headers['sec-websocket-accept'];
        if (!hasToken(response.headers.upgrade, 'websocket')) {
          socket.destroy();
          reject(
            new TunnelSetupError(
              'EBADHANDSHAKE',
              'upstream switched to a protocol other than websocket',
            ),
          );
        } else if (accept !== expected) {
          socket.destroy();
          reject(
            new TunnelSetupError(
              'EBADHANDSHAKE',
              'upstream answered the handshake with a wrong Sec-WebSocket-Accept',
            ),
          );
        } else {
          resolve({ kind: 'switched', response, socket, head: upstreamHead });
        }
      });
      upstream.once('response', (response) => {
        clearTimeout(timer);
        if (response.statusCode === 101) {
          // A 101 without Upgrade and Connection: no protocol was agreed.
          upstream.destroy();
          reject(
            new TunnelSetupError(
              'EBADHANDSHAKE',
              'upstream answered 101 without an upgrade',
            ),
          );
          return;
        }
        resolve({ kind: 'answered', response });
      });
      upstream.end();
    });
  }

  // The upstream refused the handshake, or does not speak WebSocket: its answer goes to the
  // client as any forwarded answer does, and the connection closes after it.
  private async relay(
    context: RequestContext,
    response: IncomingMessage,
  ): Promise<void> {
    const status = response.statusCode ?? 502;
    context.upstreamStatus = status;
    const res = context.res;
    res.shouldKeepAlive = false;
    res.writeHead(
      status,
      clientResponseHeaderList(
        asBuffers(response.rawHeaders),
        context.requestId,
      ),
    );
    // A stalled upstream body must not hold the client's connection for ever.
    response.socket.setTimeout(this.config.UPSTREAM_TIMEOUT_MS, () =>
      response.destroy(
        new TunnelSetupError('ETIMEDOUT', 'upstream answer stalled'),
      ),
    );
    await pipeline(response, res);
  }

  private join(
    context: RequestContext,
    answer: Extract<HandshakeAnswer, { kind: 'switched' }>,
    clientHead: Buffer,
    release: () => void,
  ): void {
    const client = context.req.socket;
    const { response, socket: upstream, head } = answer;
    context.upstreamStatus = 101;
    context.status = 101;
    const fields = clientResponseHeaderList(
      asBuffers(response.rawHeaders),
      context.requestId,
    );
    let text = 'HTTP/1.1 101 Switching Protocols\r\n';
    for (let i = 0; i < fields.length; i += 2)
      text += `${fields[i]}: ${fields[i + 1]}\r\n`;
    text += 'connection: Upgrade\r\nupgrade: websocket\r\n\r\n';
    const stats: TunnelStats = {
      openedAt: performance.now(),
      bytesToUpstream: clientHead.length,
      bytesToClient: Buffer.byteLength(text, 'latin1') + head.length,
      closedBy: undefined,
    };
    context.tunnel = stats;
    context.bytesIn = stats.bytesToUpstream;
    const closeBoth = (by: TunnelStats['closedBy']) => {
      stats.closedBy ??= by;
      upstream.destroy();
      client.destroy();
    };
    client.write(text);
    if (head.length > 0) client.write(head);
    // Frames the client sent right behind its handshake go only now, after the 101.
    if (clientHead.length > 0) upstream.write(clientHead);
    client.on('data', (chunk: Buffer) => {
      stats.bytesToUpstream += chunk.length;
      context.bytesIn = stats.bytesToUpstream;
    });
    upstream.on('data', (chunk: Buffer) => {
      stats.bytesToClient += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.resume();
    client.resume();
    const idle = this.config.TUNNEL_IDLE_MS;
    client.setTimeout(idle, () => closeBoth('idle'));
    upstream.setTimeout(idle, () => closeBoth('idle'));
    upstream.on('error', () => closeBoth('upstream'));
    upstream.once('close', () => closeBoth('upstream'));
    client.on('error', () => closeBoth('client'));
    client.once('close', () => {
      closeBoth('client');
      release();
    });
  }
}
