// State the gateway keeps about traffic. In memory for one replica, in Redis when replicas share it.
export interface GatewayStore {
  // Records `fingerprint` as the client's last request and returns the one it replaced, in one atomic step.
  swapLastRequest(client: string, fingerprint: string): Promise<string | null>;
  close(): Promise<void>;
}

export const GATEWAY_STORE = Symbol('GATEWAY_STORE');
