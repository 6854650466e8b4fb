import type { GatewayDecision } from '@gatehouse/shared/contracts';

export type DecisionCounts = Record<GatewayDecision, number>;

export interface PathCount {
  path: string;
  count: number;
}

export interface PathPage {
  // Distinct paths counted so far.
  total: number;
  // Sorted by count descending, then by path ascending.
  paths: PathCount[];
}

// State the gateway keeps about traffic. In memory for one replica, in Redis when replicas share it.
export interface GatewayStore {
  readonly kind: 'memory' | 'redis';
  // Records `fingerprint` as the client's last request and returns the one it replaced, in one atomic step.
  swapLastRequest(client: string, fingerprint: string): Promise<string | null>;
  // The same swap done at once, for stores that hold the state in the process (no promise).
  swapLastRequestNow?(client: string, fingerprint: string): string | null;
  // Adds a batch of per-decision request counts and per-path counts.
  addTraffic(
    decisions: Readonly<DecisionCounts>,
    paths: ReadonlyMap<string, number>,
  ): Promise<void>;
  decisionCounts(): Promise<DecisionCounts>;
  topPaths(offset: number, limit: number): Promise<PathPage>;
  // Resolves when the store can serve requests; rejects otherwise (readiness).
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const GATEWAY_STORE = Symbol('GATEWAY_STORE');

export function emptyDecisionCounts(): DecisionCounts {
  return { forwarded: 0, blocked: 0, delayed: 0, rejected: 0, failed: 0 };
}
