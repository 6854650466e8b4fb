import { ProblemException } from '@gatehouse/shared/http';
import { ScanScope } from '@gatehouse/scans/target-scope';
import {
  checkTargetScope,
  normaliseTarget,
  parseCreateScanRequest,
  parseIdempotencyKey,
} from './create-scan-request';

describe('parseCreateScanRequest (S-1)', () => {
  it.each([undefined, null, {}, { target: null }])(
    'accepts an absent target: %p',
    (body) => {
      expect(parseCreateScanRequest(body)).toEqual({});
    },
  );

  it.each([
    'example.com',
    'sub.example.co.uk.',
    '192.168.1.10',
    '10.0.0.1:8080',
    '[2001:db8::1]:443',
    '::1',
    '2001:db8::1',
    '::ffff:192.0.2.1',
    'https://example.com/a?b=c',
  ])('accepts the target %s', (target) =>
    expect(parseCreateScanRequest({ target: ` ${target} ` })).toEqual({
      target,
    }),
  );

  it.each([
    ['HTTP://EXAMPLE.COM', 'http://example.com/'],
    ['https://Example.COM:443/Path?Q=1#F', 'https://example.com/Path?Q=1#F'],
    ['http://a.example:80/x', 'http://a.example/x'],
    ['http://a.example:8080', 'http://a.example:8080/'],
    ['http://a.example/a b', 'http://a.example/a%20b'],
    ['http://0x7f.1/', 'http://127.0.0.1/'],
    ['http://Example.COM./', 'http://example.com./'],
    ['Scanme.Example.COM', 'scanme.example.com'],
    ['Scanme.Example.COM.', 'scanme.example.com.'],
    ['A.Example:0443', 'a.example:443'],
    ['[2001:DB8::1]:443', '[2001:db8::1]:443'],
    ['2001:DB8::AB', '2001:db8::ab'],
  ])('S-1: stores %s in its normalised form %s', (target, stored) => {
    expect(parseCreateScanRequest({ target })).toEqual({ target: stored });
    // Normalising twice changes nothing, so stored and new targets compare equal.
    expect(normaliseTarget(stored)).toBe(stored);
  });

  it.each([
    ['tab', '\t'],
    ['line feed', '\n'],
    ['carriage return', '\r'],
    ['NUL', '\u0000'],
    ['escape', '\u001b'],
    ['DEL', '\u007f'],
    ['C1 NEL', '\u0085'],
    ['C1 CSI', '\u009b'],
    ['LRM', '\u200e'],
    ['RLM', '\u200f'],
    ['ALM', '\u061c'],
    ['LRE', '\u202a'],
    ['RLO', '\u202e'],
    ['LRI', '\u2066'],
    ['PDI', '\u2069'],
    ['zero-width space', '\u200b'],
    ['ZWNJ', '\u200c'],
    ['ZWJ', '\u200d'],
    ['word joiner', '\u2060'],
    ['byte order mark', '\ufeff'],
    ['soft hyphen', '\u00ad'],
    ['line separator', '\u2028'],
    ['lone surrogate', '\ud800'],
  ])('S-1: refuses a %s anywhere in the target', (_name, char) => {
    const code = char.codePointAt(0) as number;
    const name = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const target of [
      `http://a.exa${char}mple/`,
      `a.exa${char}mple`,
      `https://a.example/path${char}`,
      `${char}a.example`,
      `a.example${char}`,
    ]) {
      let problem: ProblemException | undefined;
      try {
        parseCreateScanRequest({ target });
      } catch (error) {
        problem = error as ProblemException;
      }
      expect(problem).toBeInstanceOf(ProblemException);
      expect(problem?.getStatus()).toBe(400);
      // It says what is wrong by code point, and never echoes the character itself.
      expect(problem?.detail).toContain(name);
      expect(problem?.detail).not.toContain(char);
    }
  });

  it('S-1: names the kind and place of the refused character', () => {
    expect(() =>
      parseCreateScanRequest({ target: 'http://a.exa\tmple/' }),
    ).toThrow(/control character \(U\+0009\) at character 13/);
    expect(() =>
      parseCreateScanRequest({ target: 'a.example\u202egnp.exe' }),
    ).toThrow(/bidirectional-formatting character \(U\+202E\)/);
    expect(() => parseCreateScanRequest({ target: 'a\u200b.example' })).toThrow(
      /invisible formatting character \(U\+200B\)/,
    );
  });

  it.each([
    ['random_domain.co.il', 'random_domain.co.il'],
    ['_dmarc.Example.com', '_dmarc.example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.example:8443', 'xn--bcher-kva.example:8443'],
    ['例え.テスト', 'xn--r8jz45g.xn--zckzah'],
    ['example.com/login?next=1', 'https://example.com/login?next=1'],
    ['Bücher.example/a b', 'https://xn--bcher-kva.example/a%20b'],
    ['a.example:8443/x', 'https://a.example:8443/x'],
    ['https://random_domain.co.il/', 'https://random_domain.co.il/'],
  ])('S-1: accepts %s as resolvers do, stored as %s', (target, stored) => {
    expect(parseCreateScanRequest({ target })).toEqual({ target: stored });
    expect(normaliseTarget(stored)).toBe(stored);
  });

  it('S-4: takes an optional kind, and refuses an unknown one', () => {
    expect(
      parseCreateScanRequest({ kind: 'http', target: 'a.example' }),
    ).toEqual({ kind: 'http', target: 'a.example' });
    expect(parseCreateScanRequest({ kind: 'simulated' })).toEqual({
      kind: 'simulated',
    });
    for (const kind of ['nmap', 'HTTP', 1, ['http'], {}])
      expect(() => parseCreateScanRequest({ kind })).toThrow(
        /"kind" must be one of simulated, http/,
      );
  });

  it('S-15: refuses a target out of scope by its literal form', () => {
    const scope = new ScanScope();
    for (const target of [
      '127.0.0.1',
      '10.0.0.1:8080',
      'http://0x7f.1/',
      'http://2130706433/',
      '[::1]:443',
      '::ffff:169.254.169.254',
      'https://[fd00::1]/',
      'localhost:3000',
      'https://169.254.169.254/latest/meta-data/',
      'admin.localhost',
    ]) {
      const stored = parseCreateScanRequest({ target }).target as string;
      expect(() => checkTargetScope(stored, scope)).toThrow(/out of scope/);
    }
    for (const target of [
      'example.com',
      '93.184.215.14',
      'https://example.com/x',
    ])
      expect(() => checkTargetScope(target, scope)).not.toThrow();
    const widened = ScanScope.fromLists(['127.0.0.1'], []);
    expect(() => checkTargetScope('127.0.0.1:8443', widened)).not.toThrow();
  });

  it('S-1: keeps non-ASCII host names as the URL parser reads them (IDNA)', () => {
    expect(
      parseCreateScanRequest({ target: 'http://bücher.example/' }),
    ).toEqual({ target: 'http://xn--bcher-kva.example/' });
  });

  it.each([
    ['an array body', [1]],
    ['a string body', 'example.com'],
    ['an unknown field', { target: 'a.example', x: 1 }],
    ['a $ key', { $gt: '' }],
    ['a non-string target', { target: 1 }],
    ['an object target', { target: { $ne: null } }],
    ['an empty target', { target: '' }],
    ['a too long target', { target: `${'a'.repeat(2_050)}.example` }],
    ['a bad port', { target: 'a.example:99999' }],
    ['an ftp URL', { target: 'ftp://a.example/' }],
    ['credentials in the URL', { target: 'https://u:p@a.example/' }],
    ['spaces', { target: 'a example' }],
    ['a Unicode name with spaces', { target: 'bü cher.example' }],
    ['a label starting with a hyphen', { target: '-a.example' }],
    ['a path with no host', { target: '/etc/passwd' }],
    ['another scheme with a path', { target: 'file:///etc/passwd' }],
    ['port 0 of a bracketed address', { target: '[::1]:0' }],
    [
      'an unbracketed IPv6 address with a port',
      { target: 'ffff::1:1:1:1:1:1:80' },
    ],
    [
      'a URL that normalises past the bound',
      { target: `http://a.example/${'é'.repeat(1_000)}` },
    ],
  ])('rejects %s with a 400 problem', (_why, body) => {
    try {
      parseCreateScanRequest(body);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ProblemException);
      expect((error as ProblemException).getStatus()).toBe(400);
    }
  });

  it('never copies a __proto__ key anywhere', () => {
    expect(() =>
      parseCreateScanRequest(JSON.parse('{"__proto__": {"polluted": true}}')),
    ).toThrow(ProblemException);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('parseIdempotencyKey', () => {
  it('accepts printable ASCII up to 255 characters', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('order-42:retry')).toBe('order-42:retry');
  });

  it.each([
    ['', 'empty'],
    ['a b', 'space'],
    ['x'.repeat(256), 'too long'],
    ['é', 'non-ASCII'],
  ])('rejects %p (%s)', (key) => {
    expect(() => parseIdempotencyKey(key)).toThrow(ProblemException);
  });

  it('rejects a repeated header', () => {
    expect(() => parseIdempotencyKey(['a', 'b'])).toThrow(ProblemException);
  });
});
