import type {
  ScanFinding,
  ScanHttpFacts,
  ScanTlsFacts,
} from '@gatehouse/shared/contracts';

// S-14's stable check ids. Clients key on these: never rename one.
export const CHECK = {
  certificateExpired: 'tls.certificate.expired',
  certificateExpiring: 'tls.certificate.expiring',
  certificateUntrusted: 'tls.certificate.untrusted',
  certificateNameMismatch: 'tls.certificate.name-mismatch',
  protocolOutdated: 'tls.protocol.outdated',
  noHttpsRedirect: 'http.no-https-redirect',
  hstsMissing: 'headers.hsts.missing',
  cspMissing: 'headers.csp.missing',
  contentTypeOptionsMissing: 'headers.x-content-type-options.missing',
  frameProtectionMissing: 'headers.frame-protection.missing',
  referrerPolicyMissing: 'headers.referrer-policy.missing',
  cookiesInsecure: 'cookies.insecure',
} as const;

export const EXPIRING_DAYS = 30;

// The response headers a scan records; the checks below read these.
export const SECURITY_HEADERS = [
  'strict-transport-security',
  'content-security-policy',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'permissions-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
] as const;

export function tlsFindings(tls: ScanTlsFacts): ScanFinding[] {
  const findings: ScanFinding[] = [];
  const daysLeft = tls.daysLeft;
  if (daysLeft !== null && daysLeft !== undefined && daysLeft < 0)
    findings.push({
      check: CHECK.certificateExpired,
      severity: 'critical',
      title: 'The certificate has expired',
      evidence: `notAfter ${tls.notAfter} (${-daysLeft} day(s) ago)`,
    });
  else if (
    daysLeft !== null &&
    daysLeft !== undefined &&
    daysLeft < EXPIRING_DAYS
  )
    findings.push({
      check: CHECK.certificateExpiring,
      severity: daysLeft < 7 ? 'high' : 'medium',
      title: `The certificate expires in under ${EXPIRING_DAYS} days`,
      evidence: `notAfter ${tls.notAfter} (${daysLeft} day(s) left)`,
    });
  // An expired certificate is its own finding; any other chain error means nobody vouches for it.
  if (!tls.trusted && tls.trustError !== 'CERT_HAS_EXPIRED')
    findings.push({
      check: CHECK.certificateUntrusted,
      severity: 'high',
      title: 'The certificate chain is not trusted',
      evidence: `${tls.trustError ?? 'unknown error'}; issuer ${tls.issuer ?? 'unknown'}`,
    });
  if (!tls.nameMatches)
    findings.push({
      check: CHECK.certificateNameMismatch,
      severity: 'high',
      title: 'The certificate does not name the host',
      evidence: `subject ${tls.subject ?? 'none'}; names ${(tls.subjectAltNames ?? []).join(', ') || 'none'}`,
    });
  const outdated = [
    ...new Set([
      ...(tls.outdatedProtocols ?? []),
      ...(isOutdated(tls.protocol) ? [tls.protocol as string] : []),
    ]),
  ];
  if (outdated.length > 0)
    findings.push({
      check: CHECK.protocolOutdated,
      severity: 'medium',
      title: 'The server accepts TLS 1.1 or older',
      evidence: `accepted: ${outdated.join(', ')}`,
    });
  return findings;
}

export function isOutdated(protocol: string | null | undefined): boolean {
  return (
    protocol === 'TLSv1' ||
    protocol === 'TLSv1.1' ||
    protocol === 'SSLv3' ||
    protocol === 'SSLv2'
  );
}

// The headers of the final response, and its cookies.
export function httpFindings(http: ScanHttpFacts, final: URL): ScanFinding[] {
  const findings: ScanFinding[] = [];
  const headers = http.securityHeaders ?? {};
  const https = final.protocol === 'https:';
  const at = `${http.status} from ${http.finalUrl}`;
  if (https && headers['strict-transport-security'] === undefined)
    findings.push({
      check: CHECK.hstsMissing,
      severity: 'medium',
      title: 'No Strict-Transport-Security header',
      evidence: at,
    });
  const csp = headers['content-security-policy'];
  if (csp === undefined)
    findings.push({
      check: CHECK.cspMissing,
      severity: 'medium',
      title: 'No Content-Security-Policy header',
      evidence: at,
    });
  if (headers['x-content-type-options']?.toLowerCase().trim() !== 'nosniff')
    findings.push({
      check: CHECK.contentTypeOptionsMissing,
      severity: 'low',
      title: 'No X-Content-Type-Options: nosniff',
      evidence:
        headers['x-content-type-options'] === undefined
          ? at
          : `X-Content-Type-Options: ${headers['x-content-type-options']}`,
    });
  const frameOptions = headers['x-frame-options']?.toLowerCase().trim();
  const frameAncestors =
    csp !== undefined && /(^|;)\s*frame-ancestors\s/i.test(csp);
  if (
    frameOptions !== 'deny' &&
    frameOptions !== 'sameorigin' &&
    !frameAncestors
  )
    findings.push({
      check: CHECK.frameProtectionMissing,
      severity: 'medium',
      title: 'Neither X-Frame-Options nor CSP frame-ancestors',
      evidence: at,
    });
  if (headers['referrer-policy'] === undefined)
    findings.push({
      check: CHECK.referrerPolicyMissing,
      severity: 'low',
      title: 'No Referrer-Policy header',
      evidence: at,
    });
  for (const cookie of http.cookies ?? []) {
    const missing = [
      !cookie.secure && 'Secure',
      !cookie.httpOnly && 'HttpOnly',
      !cookie.sameSite && 'SameSite',
    ].filter((name): name is string => name !== false);
    if (missing.length === 0) continue;
    findings.push({
      check: CHECK.cookiesInsecure,
      severity: https && !cookie.secure ? 'medium' : 'low',
      // The cookie's name only: its value may be a secret.
      title: `Cookie "${cookie.name}" lacks ${missing.join(', ')}`,
      evidence: `Set-Cookie ${cookie.name} without ${missing.join(', ')}`,
    });
  }
  return findings;
}

export function noHttpsRedirect(evidence: string): ScanFinding {
  return {
    check: CHECK.noHttpsRedirect,
    severity: 'medium',
    title: 'Plain http does not redirect to https',
    evidence,
  };
}

// A Set-Cookie header's name and attributes; its value is never kept.
export function parseSetCookie(header: string): {
  name: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: string | null;
} {
  const [pair, ...attributes] = header.split(';');
  const name = pair.split('=')[0].trim().slice(0, 128);
  let secure = false;
  let httpOnly = false;
  let sameSite: string | null = null;
  for (const attribute of attributes) {
    const [key, value = ''] = attribute.split('=');
    const lower = key.trim().toLowerCase();
    if (lower === 'secure') secure = true;
    else if (lower === 'httponly') httpOnly = true;
    else if (lower === 'samesite') sameSite = value.trim().slice(0, 16) || null;
  }
  return { name, secure, httpOnly, sameSite };
}
