import type { Dispatcher } from 'undici';

// Where a request is sent: the backend, or an allowlisted forward-proxy host (G-9).
export interface UpstreamTarget {
  dispatcher: Dispatcher;
  origin: string;
  host: string;
  // Whether requests to it carry the gateway's JWT (G-8).
  signed: boolean;
  // Request-target sent upstream when it is not the client's (forward-proxy mode).
  path?: string;
}
