import { Module } from '@nestjs/common';
import { ForwardProxyRouter } from '../forward-proxy/forward-proxy.router';
import { JwtSigner } from '../jwt/jwt-signer.service';
import { ProxyService } from '../proxy/proxy.service';
import { WebSocketTunnels } from '../websocket/websocket-tunnel.service';
import { BackendUpstream } from './backend-upstream';
import { UpstreamHeaders } from './upstream-headers';

// Where requests go and how they are sent: the backend's pool, the forward-proxy hosts (G-9),
// the signed headers (G-8), plain exchanges and WebSocket tunnels.
const UPSTREAM = [
  BackendUpstream,
  ForwardProxyRouter,
  JwtSigner,
  ProxyService,
  UpstreamHeaders,
  WebSocketTunnels,
];

@Module({ providers: UPSTREAM, exports: UPSTREAM })
export class UpstreamModule {}
