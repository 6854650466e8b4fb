import { EnvVar, InvalidValue } from '@gatehouse/shared/config';

// How many replica-set members acknowledge a scan-store write before it counts (S-5):
// "majority", or a number of members.
export type ScanWriteConcern = 'majority' | number;

export const DEFAULT_SCAN_WRITE_CONCERN: ScanWriteConcern = 'majority';

// MONGODB_WRITE_CONCERN: "majority" (the default) or a positive integer. Anything below a
// majority lets an acknowledged claim roll back after a failover (ADR 0002).
export function scanWriteConcern(
  description: string,
): EnvVar<ScanWriteConcern> {
  return {
    description,
    default: 'majority',
    accepts: 'majority, or a member count in 1..50',
    parse(raw) {
      const text = raw?.trim() ?? '';
      if (text === '') return DEFAULT_SCAN_WRITE_CONCERN;
      if (text === 'majority') return 'majority';
      // A replica set has at most 50 members.
      if (/^[1-9][0-9]*$/.test(text) && Number(text) <= 50) return Number(text);
      throw new InvalidValue(
        `must be "majority" or a positive integer (members that acknowledge a write), got "${text}"`,
      );
    },
  };
}
