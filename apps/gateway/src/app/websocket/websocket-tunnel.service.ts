import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { connect as connectTcp, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as connectTls } from 'node:tls';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';
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

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;

// G-1: an inspected `Upgrade: websocket` request is relayed to the upstream, and from then on
// bytes flow both ways untouched, as nginx and Envoy do. Tunnels are bounded by MAX_TUNNELS
// and TUNNEL_IDLE_MS; the request's one log line is written when the tunnel closes.
@Injectable()
export class WebSocketTunnels {
  private tunnels = 0;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly headers: UpstreamHeaders,
  ) {}

  get current(): number {
    return this.tunnels;
  }

  // Takes a tunnel slot or throws 503; the returned function gives it back exactly once.
  reserve(): () => void {
    if (this.tunnels >= this.config.MAX_TUNNELS) {
      throw new ProblemException({
        status: 503,
        title: 'Service Unavailable',
        type: 'too-many-tunnels',
        detail: `The gateway is at its limit of ${this.config.MAX_TUNNELS} WebSocket tunnels.`,
        headers: { 'retry-after': '1' },
      });
    }
    this.tunnels++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.tunnels--;
    };
  }

  // Sends the handshake upstream and, once the upstream answers, joins the two sockets.
  // Resolves when bytes flow; rejects (nothing sent to the client yet) when the upstream
  // cannot be reached or does not answer in time.
  async open(
    context: RequestContext,
    target: UpstreamTarget,
    head: Buffer,
  ): Promise<void> {
    const release = this.reserve();
    let upstream: Socket | undefined;
    try {
      upstream = await this.connect(target.origin);
      const first = await this.handshake(upstream, context, target, head);
      this.join(context, upstream, first, release);
    } catch (error) {
      upstream?.destroy();
      release();
      throw error;
    }
  }

  private connect(origin: string): Promise<Socket> {
    const url = new URL(origin);
    const secure = url.protocol === 'https:';
    const port = Number(url.port || (secure ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return new Promise((resolve, reject) => {
      const socket = secure
        ? connectTls({
            host,
            port,
            servername: host,
            ALPNProtocols: ['http/1.1'],
          })
        : connectTcp({ host, port });
      const timer = setTimeout(
        () =>
          fail(new TunnelSetupError('ETIMEDOUT', 'upstream connect timed out')),
        this.config.UPSTREAM_TIMEOUT_MS,
      );
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once('error', fail);
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        resolve(socket);
      });
    });
  }

  // Writes the handshake and waits for the first bytes of the upstream's answer.
  private handshake(
    upstream: Socket,
    context: RequestContext,
    target: UpstreamTarget,
    head: Buffer,
  ): Promise<Buffer> {
    const { req } = context;
    const pairs = this.headers.for(context, target);
    // Upgrade and Connection are hop-by-hop: the gateway asks the upstream itself.
    let text = `${req.method ?? 'GET'} ${target.path ?? context.target} HTTP/1.1\r\n`;
    for (let i = 0; i < pairs.length; i += 2)
      text += `${pairs[i]}: ${pairs[i + 1]}\r\n`;
    text += 'connection: upgrade\r\nupgrade: websocket\r\n\r\n';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          done(
            new TunnelSetupError('ETIMEDOUT', 'upstream handshake timed out'),
          ),
        this.config.UPSTREAM_TIMEOUT_MS,
      );
      const done = (error: Error | null, first?: Buffer) => {
        clearTimeout(timer);
        upstream.off('data', onData);
        upstream.off('error', onError);
        upstream.off('close', onClose);
        if (error) reject(error);
        else resolve(first ?? Buffer.alloc(0));
      };
      const onData = (chunk: Buffer) => {
        upstream.pause();
        done(null, chunk);
      };
      const onError = (error: Error) => done(error);
      const onClose = () =>
        done(
          new TunnelSetupError(
            'ECONNRESET',
            'upstream closed before answering the handshake',
          ),
        );
      upstream.on('data', onData);
      upstream.once('error', onError);
      upstream.once('close', onClose);
      upstream.write(text);
      if (head.length > 0) upstream.write(head);
    });
  }

  private join(
    context: RequestContext,
    upstream: Socket,
    first: Buffer,
    release: () => void,
  ): void {
    const client = context.req.socket;
    const match = STATUS_LINE.exec(first.subarray(0, 16).toString('latin1'));
    context.upstreamStatus = match === null ? null : Number(match[1]);
    context.status = context.upstreamStatus ?? 0;
    const stats: TunnelStats = {
      openedAt: performance.now(),
      bytesToUpstream: 0,
      bytesToClient: first.length,
      closedBy: undefined,
    };
    context.tunnel = stats;
    const closeBoth = (by: TunnelStats['closedBy']) => {
      stats.closedBy ??= by;
      upstream.destroy();
      client.destroy();
    };
    client.write(first);
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
