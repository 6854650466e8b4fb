import type { ScanTlsFacts } from '@gatehouse/shared/contracts';
import type { ResolvedAddress } from '@gatehouse/scans/target-scope';
import { isIP } from 'node:net';
import {
  checkServerIdentity,
  connect,
  ConnectionOptions,
  PeerCertificate,
  SecureVersion,
  TLSSocket,
} from 'node:tls';

const DAY_MS = 86_400_000;

// Old protocols need OpenSSL's lowest security level, or the client refuses them itself.
const LEGACY = { ciphers: 'DEFAULT:@SECLEVEL=0' } as const;

function distinguishedName(
  name: Record<string, string | string[]> | undefined,
): string | null {
  if (!name) return null;
  const parts = Object.entries(name).map(
    ([key, value]) =>
      `${key}=${Array.isArray(value) ? value.join('+') : value}`,
  );
  return parts.length > 0 ? parts.join(', ') : null;
}

function altNames(cert: PeerCertificate): string[] {
  return (cert.subjectaltname ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

function isoOrNull(text: string | undefined): string | null {
  if (!text) return null;
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

// One handshake to the checked address, with SNI and name checks for the target's host name.
function handshake(
  target: { hostname: string; port: number; address: ResolvedAddress },
  signal: AbortSignal,
  extra: ConnectionOptions = {},
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const socket = connect({
      host: target.address.address,
      port: target.port,
      servername: isIP(target.hostname) === 0 ? target.hostname : undefined,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
      ...extra,
    });
    const onAbort = () => {
      socket.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(socket);
    });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(error);
    });
  });
}

// Whether the server still completes a handshake with only `version` on offer.
async function accepts(
  target: { hostname: string; port: number; address: ResolvedAddress },
  version: SecureVersion,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    const socket = await handshake(target, signal, {
      ...LEGACY,
      minVersion: version,
      maxVersion: version,
    });
    socket.destroy();
    return true;
  } catch {
    if (signal.aborted) throw signal.reason;
    return false;
  }
}

// S-14: protocol, cipher, certificate, trust and name of the TLS endpoint at the checked
// address; then which outdated protocols (TLS 1.0, 1.1) it still accepts.
export async function probeTls(
  target: { hostname: string; port: number; address: ResolvedAddress },
  signal: AbortSignal,
  now: Date = new Date(),
): Promise<ScanTlsFacts> {
  let socket: TLSSocket;
  try {
    socket = await handshake(target, signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    // A server that speaks only old protocols fails a modern handshake: try once more with them.
    socket = await handshake(target, signal, {
      ...LEGACY,
      minVersion: 'TLSv1',
    }).catch(() => Promise.reject(error));
  }
  let facts: ScanTlsFacts;
  try {
    const cert = socket.getPeerCertificate();
    const hasCert = cert && Object.keys(cert).length > 0;
    const notAfter = hasCert ? isoOrNull(cert.valid_to) : null;
    const hostname = target.hostname.replace(/^\[|\]$/g, '');
    facts = {
      address: target.address.address,
      protocol: socket.getProtocol(),
      cipher: socket.getCipher()?.name ?? null,
      subject: hasCert ? distinguishedName(cert.subject as never) : null,
      issuer: hasCert ? distinguishedName(cert.issuer as never) : null,
      subjectAltNames: hasCert ? altNames(cert) : [],
      notBefore: hasCert ? isoOrNull(cert.valid_from) : null,
      notAfter,
      daysLeft:
        notAfter === null
          ? null
          : Math.floor((Date.parse(notAfter) - now.getTime()) / DAY_MS),
      trusted: socket.authorized,
      trustError: socket.authorized
        ? null
        : String(socket.authorizationError ?? 'UNKNOWN'),
      nameMatches: hasCert && checkServerIdentity(hostname, cert) === undefined,
      outdatedProtocols: [],
    };
  } finally {
    socket.destroy();
  }
  for (const version of ['TLSv1', 'TLSv1.1'] as const)
    if (await accepts(target, version, signal))
      facts.outdatedProtocols?.push(version);
  return facts;
}
