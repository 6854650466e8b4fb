import { COUNT_SCHEMA, countsSchema, FromSchema } from './json-schema';

// S-4: the jobs a scan may run. `simulated` is the reference system's mock; `http` is S-14's scan.
export const SCAN_KINDS = ['simulated', 'http'] as const;
export type ScanKind = (typeof SCAN_KINDS)[number];

// S-14: finding severities, from least to most severe.
export const FINDING_SEVERITIES = [
  'info',
  'low',
  'medium',
  'high',
  'critical',
] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

const nullableString = { type: 'string', nullable: true } as const;
const nullableInteger = { type: 'integer', nullable: true } as const;

export const SCAN_FINDING_SCHEMA = {
  type: 'object',
  required: ['check', 'severity', 'title', 'evidence'],
  properties: {
    check: {
      type: 'string',
      description: 'A stable id, such as tls.certificate.expiring',
    },
    severity: { type: 'string', enum: FINDING_SEVERITIES },
    title: { type: 'string' },
    evidence: { type: 'string' },
  },
} as const;

export type ScanFinding = FromSchema<typeof SCAN_FINDING_SCHEMA>;

export const SCAN_TLS_SCHEMA = {
  type: 'object',
  nullable: true,
  required: ['protocol', 'cipher', 'trusted', 'nameMatches'],
  properties: {
    address: { type: 'string', description: 'The address connected to' },
    protocol: nullableString,
    cipher: nullableString,
    subject: nullableString,
    issuer: nullableString,
    subjectAltNames: { type: 'array', items: { type: 'string' } },
    notBefore: nullableString,
    notAfter: nullableString,
    daysLeft: nullableInteger,
    trusted: { type: 'boolean' },
    trustError: nullableString,
    nameMatches: { type: 'boolean' },
    outdatedProtocols: { type: 'array', items: { type: 'string' } },
  },
} as const;

export type ScanTlsFacts = NonNullable<FromSchema<typeof SCAN_TLS_SCHEMA>>;

export const SCAN_HTTP_SCHEMA = {
  type: 'object',
  nullable: true,
  required: ['status', 'finalUrl', 'redirects'],
  properties: {
    status: COUNT_SCHEMA,
    finalUrl: { type: 'string' },
    redirects: {
      type: 'array',
      items: {
        type: 'object',
        required: ['url', 'status'],
        properties: { url: { type: 'string' }, status: COUNT_SCHEMA },
      },
    },
    server: nullableString,
    securityHeaders: {
      type: 'object',
      additionalProperties: { type: 'string' },
    },
    cookies: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'secure', 'httpOnly', 'sameSite'],
        properties: {
          name: { type: 'string' },
          secure: { type: 'boolean' },
          httpOnly: { type: 'boolean' },
          sameSite: nullableString,
        },
      },
    },
    bodyBytes: COUNT_SCHEMA,
    bodyTruncated: { type: 'boolean' },
    httpsRedirect: {
      type: 'boolean',
      nullable: true,
      description:
        'Whether plain http redirects to https; null when it was not tried or not reachable',
    },
  },
} as const;

export type ScanHttpFacts = NonNullable<FromSchema<typeof SCAN_HTTP_SCHEMA>>;

// S-14: what a scan found. A scan that failed part-way keeps what it had found.
export const SCAN_RESULT_SCHEMA = {
  type: 'object',
  nullable: true,
  required: ['summary', 'findings', 'tls', 'http'],
  properties: {
    summary: countsSchema(FINDING_SEVERITIES),
    findings: { type: 'array', items: SCAN_FINDING_SCHEMA },
    tls: SCAN_TLS_SCHEMA,
    http: SCAN_HTTP_SCHEMA,
  },
} as const;

export type ScanResult = NonNullable<FromSchema<typeof SCAN_RESULT_SCHEMA>>;

// Findings by severity, most severe first; the summary counts each severity.
export function summariseFindings(
  findings: readonly ScanFinding[],
): Pick<ScanResult, 'summary' | 'findings'> {
  const summary = Object.fromEntries(
    FINDING_SEVERITIES.map((severity) => [severity, 0]),
  ) as ScanResult['summary'];
  for (const finding of findings) summary[finding.severity]++;
  const rank = (finding: ScanFinding) =>
    FINDING_SEVERITIES.indexOf(finding.severity);
  return {
    summary,
    findings: [...findings].sort((a, b) => rank(b) - rank(a)),
  };
}
