// What the gateway did with one request; every request log line carries exactly one.
export const GATEWAY_DECISIONS = [
  'forwarded',
  'blocked',
  'delayed',
  'rejected',
  'failed',
] as const;

export type GatewayDecision = (typeof GATEWAY_DECISIONS)[number];
