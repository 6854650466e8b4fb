import type { IncomingMessage } from 'node:http';
import { clientAddress } from './client-address';

function req(peer: string, forwardedFor?: string): IncomingMessage {
  return {
    socket: { remoteAddress: peer },
    headers:
      forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  } as unknown as IncomingMessage;
}

describe('clientAddress (G-3, TRUST_PROXY)', () => {
  it('uses the peer when no proxy is trusted, whatever the client claims', () => {
    expect(clientAddress(req('::ffff:10.0.0.9', '1.2.3.4'), 0)).toBe(
      '10.0.0.9',
    );
  });

  it('takes the address the trusted hops saw', () => {
    expect(clientAddress(req('10.0.0.1', 'spoofed, 198.51.100.7'), 1)).toBe(
      '198.51.100.7',
    );
    expect(
      clientAddress(req('10.0.0.1', 'spoofed, 198.51.100.7, 10.0.0.2'), 2),
    ).toBe('198.51.100.7');
  });

  it('falls back to the leftmost entry when the chain is shorter than the trusted hops', () => {
    expect(clientAddress(req('10.0.0.1'), 1)).toBe('10.0.0.1');
    expect(clientAddress(req('10.0.0.1', '198.51.100.7'), 3)).toBe(
      '198.51.100.7',
    );
  });
});
