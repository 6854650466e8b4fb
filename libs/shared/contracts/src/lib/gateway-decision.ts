// What the gateway did with one request; every request log line carries exactly one.
export type GatewayDecision =
  | 'forwarded'
  | 'blocked'
  | 'delayed'
  | 'rejected'
  | 'failed';

export const GATEWAY_DECISIONS: readonly GatewayDecision[] = [
  'forwarded',
  'blocked',
  'delayed',
  'rejected',
  'failed',
];
