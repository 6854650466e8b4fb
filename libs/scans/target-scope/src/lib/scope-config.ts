import { EnvVar, InvalidValue, list } from '@gatehouse/shared/config';
import { canonicalHostName, isAddress, parseScopeEntry } from './scan-scope';

// SCAN_ALLOW and SCAN_DENY: host names (`*.example.com` for subdomains), addresses and CIDRs.
export function scopeListVar(description: string): EnvVar<string[]> {
  const inner = list(description);
  return {
    description,
    default: 'unset',
    accepts:
      'a comma-separated list of host names (*.name for subdomains), addresses and CIDRs',
    parse(raw) {
      return inner.parse(raw).map((entry) => {
        try {
          return parseScopeEntry(entry).text;
        } catch (error) {
          throw new InvalidValue(
            `has an entry that ${(error as Error).message.replace(/^"[^"]*" is/, 'is')}: ${entry}`,
          );
        }
      });
    },
  };
}

// SCAN_RESOLVE: `name=address` pairs answered before DNS, as curl's --resolve does.
export function resolveOverridesVar(
  description: string,
): EnvVar<Map<string, string>> {
  const inner = list(description);
  return {
    description,
    default: 'unset',
    accepts: 'a comma-separated list of name=address',
    parse(raw) {
      const overrides = new Map<string, string>();
      for (const entry of inner.parse(raw)) {
        const [name, address, ...rest] = entry.split('=');
        if (rest.length > 0 || !name || !address || !isAddress(address.trim()))
          throw new InvalidValue(
            `has an entry that is not name=address: ${entry}`,
          );
        overrides.set(canonicalHostName(name.trim()), address.trim());
      }
      return overrides;
    },
  };
}

// S-15's two lists, read alike by every app that checks targets (ingest, processor).
export const scanScopeSchema = {
  SCAN_ALLOW: scopeListVar(
    'Hosts (*.name for subdomains), addresses and CIDRs a scan may reach besides public unicast addresses',
  ),
  SCAN_DENY: scopeListVar(
    'Hosts, addresses and CIDRs a scan never reaches; wins over SCAN_ALLOW',
  ),
};
