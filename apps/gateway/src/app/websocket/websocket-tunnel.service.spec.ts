import type { GatewayConfig } from '../gateway.config';
import type { UpstreamHeaders } from '../request/upstream-headers';
import { websocketAccept, WebSocketTunnels } from './websocket-tunnel.service';

describe('WebSocketTunnels (G-1)', () => {
  const tunnels = () =>
    new WebSocketTunnels(
      { MAX_TUNNELS: 3, MAX_TUNNELS_PER_CLIENT: 2 } as GatewayConfig,
      {} as UpstreamHeaders,
    );

  it('hashes the client key as RFC 6455 §1.3 does', () => {
    expect(websocketAccept('dGhlIHNhbXBsZSBub25jZQ==')).toBe(
      's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
    );
  });

  it('bounds tunnels per client with 429 and in all with 503; each slot comes back once', () => {
    const bound = tunnels();
    const a1 = bound.reserve('a');
    bound.reserve('a');
    expect(() => bound.reserve('a')).toThrow(
      expect.objectContaining({ status: 429 }),
    );
    bound.reserve('b');
    expect(bound.current).toBe(3);
    expect(() => bound.reserve('c')).toThrow(
      expect.objectContaining({ status: 503 }),
    );
    a1();
    a1();
    expect(bound.current).toBe(2);
    expect(() => bound.reserve('a')).not.toThrow();
  });
});
