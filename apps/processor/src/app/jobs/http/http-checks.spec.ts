import {
  CHECK,
  httpFindings,
  parseSetCookie,
  tlsFindings,
} from './http-checks';

const tls = {
  protocol: 'TLSv1.3',
  cipher: 'TLS_AES_256_GCM_SHA384',
  subject: 'CN=a.example',
  issuer: 'CN=Some CA',
  subjectAltNames: ['DNS:a.example'],
  notAfter: '2027-01-01T00:00:00.000Z',
  daysLeft: 200,
  trusted: true,
  trustError: null,
  nameMatches: true,
  outdatedProtocols: [],
};

const http = {
  status: 200,
  finalUrl: 'https://a.example/',
  redirects: [],
  securityHeaders: {
    'strict-transport-security': 'max-age=1',
    'content-security-policy': "default-src 'self'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  },
  cookies: [],
};

// S-14's checks, one rule at a time.
describe('http scan checks (S-14)', () => {
  it('finds nothing in a healthy certificate', () => {
    expect(tlsFindings(tls)).toEqual([]);
  });

  it('grades expiry: expired is critical, under 7 days high, under 30 medium', () => {
    const at = (daysLeft: number) =>
      tlsFindings({ ...tls, daysLeft }).map((f) => [f.check, f.severity]);
    expect(at(-1)).toEqual([[CHECK.certificateExpired, 'critical']]);
    expect(at(3)).toEqual([[CHECK.certificateExpiring, 'high']]);
    expect(at(29)).toEqual([[CHECK.certificateExpiring, 'medium']]);
    expect(at(30)).toEqual([]);
  });

  it('an expired chain is not also reported untrusted; other chain errors are', () => {
    const expired = tlsFindings({
      ...tls,
      daysLeft: -2,
      trusted: false,
      trustError: 'CERT_HAS_EXPIRED',
    });
    expect(expired.map((f) => f.check)).toEqual([CHECK.certificateExpired]);
    const selfSigned = tlsFindings({
      ...tls,
      trusted: false,
      trustError: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    expect(selfSigned.map((f) => f.check)).toEqual([
      CHECK.certificateUntrusted,
    ]);
    expect(selfSigned[0].evidence).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('reports a negotiated or accepted old protocol once', () => {
    const old = tlsFindings({
      ...tls,
      protocol: 'TLSv1.1',
      outdatedProtocols: ['TLSv1', 'TLSv1.1'],
    });
    expect(old).toHaveLength(1);
    expect(old[0]).toMatchObject({
      check: CHECK.protocolOutdated,
      evidence: 'accepted: TLSv1, TLSv1.1',
    });
  });

  it('accepts CSP frame-ancestors as frame protection, and wants nosniff exactly', () => {
    const url = new URL('https://a.example/');
    expect(httpFindings(http, url)).toEqual([]);
    const noXfo: Record<string, string> = { ...http.securityHeaders };
    delete noXfo['x-frame-options'];
    expect(
      httpFindings({ ...http, securityHeaders: noXfo }, url).map(
        (f) => f.check,
      ),
    ).toEqual([CHECK.frameProtectionMissing]);
    expect(
      httpFindings(
        {
          ...http,
          securityHeaders: {
            ...noXfo,
            'content-security-policy':
              "default-src 'self'; frame-ancestors 'none'",
            'x-content-type-options': 'sniff',
          },
        },
        url,
      ).map((f) => f.check),
    ).toEqual([CHECK.contentTypeOptionsMissing]);
  });

  it('asks for HSTS on https only', () => {
    const headers = { ...http.securityHeaders } as Record<string, string>;
    delete headers['strict-transport-security'];
    const checks = (url: string) =>
      httpFindings({ ...http, securityHeaders: headers }, new URL(url)).map(
        (f) => f.check,
      );
    expect(checks('https://a.example/')).toEqual([CHECK.hstsMissing]);
    expect(checks('http://a.example/')).toEqual([]);
  });

  it('reads cookie attributes and names only the cookie, never its value', () => {
    expect(
      parseSetCookie('sid=abc123; Path=/; Secure; HttpOnly; SameSite=Lax'),
    ).toEqual({
      name: 'sid',
      secure: true,
      httpOnly: true,
      sameSite: 'Lax',
    });
    const findings = httpFindings(
      {
        ...http,
        cookies: [parseSetCookie('token=s3cr3t; path=/; samesite=strict')],
      },
      new URL('https://a.example/'),
    );
    expect(findings).toEqual([
      expect.objectContaining({
        check: CHECK.cookiesInsecure,
        severity: 'medium',
        title: 'Cookie "token" lacks Secure, HttpOnly',
      }),
    ]);
    expect(JSON.stringify(findings)).not.toContain('s3cr3t');
  });
});
