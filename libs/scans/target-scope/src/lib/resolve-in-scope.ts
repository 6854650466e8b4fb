import * as ipaddr from 'ipaddr.js';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import {
  canonicalHostName,
  isAddress,
  OutOfScopeError,
  ScanScope,
} from './scan-scope';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

// A resolver with the shape of dns.promises.lookup(name, {all: true}).
export type Resolve = (
  hostname: string,
  signal?: AbortSignal,
) => Promise<ResolvedAddress[]>;

// A DNS failure: transient (the name may resolve later), unlike a scope refusal.
export class ResolveError extends Error {
  constructor(
    readonly hostname: string,
    readonly code: string,
  ) {
    super(`could not resolve ${hostname} (${code})`);
    this.name = 'ResolveError';
  }
}

// The system resolver (getaddrinfo, so /etc/hosts counts), with overrides in the manner of
// curl's --resolve: `name=address` pairs that answer before DNS is asked.
export function systemResolver(
  overrides: ReadonlyMap<string, string> = new Map(),
): Resolve {
  return async (hostname) => {
    const name = canonicalHostName(hostname);
    const pinned = overrides.get(name);
    if (pinned !== undefined)
      return [
        {
          address: pinned,
          family: ipaddr.parse(pinned).kind() === 'ipv4' ? 4 : 6,
        },
      ];
    try {
      const found = await dnsLookup(name, { all: true, verbatim: true });
      return found.map(({ address, family }) => ({
        address,
        family: family === 6 ? 6 : 4,
      }));
    } catch (error) {
      throw new ResolveError(
        name,
        (error as { code?: string }).code ?? 'ERROR',
      );
    }
  };
}

// S-15: resolves `hostname` once and checks every address it has. The caller connects to the
// address returned, never resolving again, so DNS rebinding cannot slip past the check.
export async function resolveInScope(
  scope: ScanScope,
  hostname: string,
  resolve: Resolve,
  signal?: AbortSignal,
): Promise<ResolvedAddress> {
  const name = canonicalHostName(hostname);
  if (isAddress(name)) {
    const refused = scope.checkAddress(name);
    if (refused) throw new OutOfScopeError(refused);
    return {
      address: name,
      family: ipaddr.parse(name).kind() === 'ipv4' ? 4 : 6,
    };
  }
  const literal = scope.checkLiteral(name);
  if (literal) throw new OutOfScopeError(literal);
  const addresses = await resolve(name, signal);
  if (addresses.length === 0) throw new ResolveError(name, 'ENODATA');
  for (const { address } of addresses) {
    const refused = scope.checkAddress(address, name);
    if (refused) throw new OutOfScopeError(refused);
  }
  return addresses[0];
}

// Answers every lookup with the address the scope already checked: the request never resolves
// the name again, so a rebinding answer cannot redirect it (S-15).
export function pinnedLookup(address: ResolvedAddress): LookupFunction {
  return ((_hostname, options, callback) => {
    if ((options as { all?: boolean }).all)
      (callback as (e: null, a: ResolvedAddress[]) => void)(null, [address]);
    else callback(null, address.address, address.family);
  }) as LookupFunction;
}
