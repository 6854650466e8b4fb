import * as ipaddr from 'ipaddr.js';
import { domainToASCII } from 'node:url';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

// One SCAN_ALLOW or SCAN_DENY entry: a host name (`*.` for its subdomains) or an address/CIDR.
export type ScopeEntry =
  | { type: 'host'; name: string; subdomains: boolean; text: string }
  | { type: 'cidr'; range: [Address, number]; text: string };

// S-15: a target, an address or a redirect that a scan must not reach. Permanent: never retried.
export class OutOfScopeError extends Error {
  readonly permanent = true;
  constructor(reason: string) {
    super(`target out of scope: ${reason}`);
    this.name = 'OutOfScopeError';
  }
}

// The ranges that are never scanned by default, in the words an operator would search for.
const RANGE_NAMES: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT (CGNAT) address',
  private: 'a private (RFC 1918) address',
  uniqueLocal: 'a unique local (ULA) address',
  reserved: 'a reserved address',
  benchmarking: 'a benchmarking address',
  deprecatedSiteLocal: 'a site-local address',
  rfc6052: 'a NAT64 address',
  '6to4': 'a 6to4 address',
  teredo: 'a Teredo address',
};

const CLOUD_METADATA = ipaddr.parse('169.254.169.254');

// An address in its usual text form only: ipaddr.js alone would also take "1" or "0x7f.1".
export function isAddress(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text);
}

function isCidr(text: string): boolean {
  return (
    ipaddr.IPv4.isValidCIDRFourPartDecimal(text) ||
    ipaddr.IPv6.isValidCIDR(text)
  );
}

// A host name as the scope compares it: ASCII (punycode), lower case, no trailing dot.
export function canonicalHostName(name: string): string {
  const bare = name.startsWith('[') ? name.slice(1, -1) : name;
  if (isAddress(bare)) return bare.toLowerCase();
  const ascii = domainToASCII(bare) || bare;
  return ascii.toLowerCase().replace(/\.$/, '');
}

export function parseScopeEntry(text: string): ScopeEntry {
  const entry = text.trim();
  if (isCidr(entry))
    return { type: 'cidr', range: ipaddr.parseCIDR(entry), text: entry };
  if (isAddress(entry)) {
    const address = ipaddr.parse(entry);
    const bits = address.kind() === 'ipv4' ? 32 : 128;
    return { type: 'cidr', range: [address, bits], text: entry };
  }
  // domainToASCII stops at the first "/" or ":", so those are refused before it runs.
  if (/[\s/:?#@[\]\\]/.test(entry))
    throw new Error(`"${entry}" is neither a host name, an address nor a CIDR`);
  const subdomains = entry.startsWith('*.');
  const name = canonicalHostName(subdomains ? entry.slice(2) : entry);
  if (
    !/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(
      name,
    )
  )
    throw new Error(`"${entry}" is neither a host name, an address nor a CIDR`);
  return { type: 'host', name, subdomains, text: entry };
}

// IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it carries.
function unmapped(address: Address): Address {
  return address.kind() === 'ipv6' &&
    (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address;
}

function inRange(address: Address, [network, bits]: [Address, number]) {
  return address.kind() === network.kind() && address.match(network, bits);
}

// S-15: which hosts and addresses a scan may reach. By default, public unicast addresses only;
// SCAN_ALLOW widens the scope, SCAN_DENY narrows it, and deny wins.
export class ScanScope {
  constructor(
    private readonly allow: readonly ScopeEntry[] = [],
    private readonly deny: readonly ScopeEntry[] = [],
  ) {}

  static fromLists(allow: readonly string[], deny: readonly string[]) {
    return new ScanScope(allow.map(parseScopeEntry), deny.map(parseScopeEntry));
  }

  // Null when `hostname` may be scanned by name alone as far as the lists tell; the reason when
  // it is refused. An address literal is judged fully here; a name still needs its addresses.
  checkLiteral(hostname: string): string | null {
    const name = canonicalHostName(hostname);
    if (isAddress(name)) return this.checkAddress(name);
    const denied = this.matchHost(this.deny, name);
    if (denied) return `host ${name} is denied by SCAN_DENY (${denied.text})`;
    // RFC 6761: localhost names always mean loopback, whatever a resolver says.
    if (name === 'localhost' || name.endsWith('.localhost')) {
      if (this.matchHost(this.allow, name)) return null;
      return this.checkAddress('127.0.0.1', name);
    }
    return null;
  }

  // Null when `address` (reached through `hostname`, when given) may be scanned, else the reason.
  checkAddress(text: string, hostname?: string): string | null {
    let parsed: Address;
    try {
      parsed = ipaddr.parse(text);
    } catch {
      return `${text} is not an IP address`;
    }
    const name =
      hostname === undefined ? undefined : canonicalHostName(hostname);
    const address = unmapped(parsed);
    const shown = address.toString();
    const via = name !== undefined && name !== shown ? ` (${name})` : '';
    if (name !== undefined) {
      const denied = this.matchHost(this.deny, name);
      if (denied) return `host ${name} is denied by SCAN_DENY (${denied.text})`;
    }
    const deniedRange = this.matchAddress(this.deny, parsed, address);
    if (deniedRange)
      return `address ${shown}${via} is denied by SCAN_DENY (${deniedRange.text})`;
    if (name !== undefined && this.matchHost(this.allow, name)) return null;
    if (this.matchAddress(this.allow, parsed, address)) return null;
    const range = address.range();
    if (range === 'unicast') return null;
    const what =
      address.kind() === 'ipv4' && address.match(CLOUD_METADATA, 32)
        ? 'the cloud metadata address (link-local)'
        : (RANGE_NAMES[range] ?? `a special-purpose address (${range})`);
    return `address ${shown}${via} is ${what}, not a public unicast address; SCAN_ALLOW can permit it`;
  }

  private matchHost(entries: readonly ScopeEntry[], name: string) {
    return entries.find(
      (entry) =>
        entry.type === 'host' &&
        (entry.subdomains
          ? name.endsWith(`.${entry.name}`)
          : name === entry.name),
    );
  }

  private matchAddress(
    entries: readonly ScopeEntry[],
    parsed: Address,
    address: Address,
  ) {
    return entries.find(
      (entry) =>
        entry.type === 'cidr' &&
        (inRange(parsed, entry.range) || inRange(address, entry.range)),
    );
  }
}
