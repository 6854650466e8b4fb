import type { IncomingMessage } from 'node:http';

function normalise(address: string): string {
  const trimmed = address.trim();
  return trimmed.startsWith('::ffff:') && trimmed.includes('.')
    ? trimmed.slice(7)
    : trimmed;
}

// The client is the address `trustedHops` proxies in front of us saw; entries further left are client-supplied and not trusted.
export function clientAddress(
  req: IncomingMessage,
  trustedHops: number,
): string {
  const peer = normalise(req.socket.remoteAddress ?? 'unknown');
  if (trustedHops === 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map(normalise)
    .filter((entry) => entry !== '');
  const chain = [...forwarded, peer];
  const client = chain[Math.max(0, chain.length - 1 - trustedHops)];
  return client.length <= 64 ? client : client.slice(0, 64);
}
