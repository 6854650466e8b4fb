import { resolveInScope, ResolvedAddress } from './resolve-in-scope';
import { OutOfScopeError, parseScopeEntry, ScanScope } from './scan-scope';

// S-15: the default scope is public unicast only; SCAN_ALLOW widens it, SCAN_DENY narrows it.
describe('ScanScope (S-15)', () => {
  const scope = new ScanScope();

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['10.1.2.3', 'private (RFC 1918)'],
    ['172.16.0.1', 'private (RFC 1918)'],
    ['192.168.1.1', 'private (RFC 1918)'],
    ['169.254.169.254', 'cloud metadata'],
    ['169.254.1.1', 'link-local'],
    ['100.64.0.1', 'CGNAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd00::1', 'ULA'],
    ['fc00::1', 'ULA'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private (RFC 1918)'],
    ['::ffff:169.254.169.254', 'cloud metadata'],
    ['::ffff:7f00:1', 'loopback'],
  ])('refuses %s (%s)', (address, words) => {
    const reason = scope.checkAddress(address);
    expect(reason).toContain(words);
    expect(reason).toContain('SCAN_ALLOW');
  });

  it.each([
    '93.184.215.14',
    '1.1.1.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
  ])('allows the public unicast address %s', (address) =>
    expect(scope.checkAddress(address)).toBeNull(),
  );

  it('judges literal hosts: addresses, localhost names and denied names', () => {
    expect(scope.checkLiteral('[::1]')).toContain('loopback');
    expect(scope.checkLiteral('localhost')).toContain('loopback');
    expect(scope.checkLiteral('app.localhost')).toContain('loopback');
    expect(scope.checkLiteral('example.com')).toBeNull();
    const denying = ScanScope.fromLists(
      [],
      ['*.corp.example', 'blocked.example'],
    );
    expect(denying.checkLiteral('db.corp.example')).toContain('SCAN_DENY');
    expect(denying.checkLiteral('BLOCKED.example.')).toContain('SCAN_DENY');
    expect(denying.checkLiteral('corp.example')).toBeNull();
  });

  it('widens by CIDR, address and host, and lets deny win', () => {
    const widened = ScanScope.fromLists(
      ['10.0.0.0/8', '127.0.0.1', 'intranet.example', '*.lab.example'],
      ['10.9.0.0/16', 'secret.lab.example'],
    );
    expect(widened.checkAddress('10.1.2.3')).toBeNull();
    expect(widened.checkAddress('::ffff:10.1.2.3')).toBeNull();
    expect(widened.checkAddress('10.9.1.1')).toContain(
      'SCAN_DENY (10.9.0.0/16)',
    );
    expect(widened.checkAddress('127.0.0.1')).toBeNull();
    expect(widened.checkAddress('127.0.0.2')).toContain('loopback');
    expect(widened.checkAddress('192.168.1.1', 'intranet.example')).toBeNull();
    expect(widened.checkAddress('192.168.1.1', 'a.lab.example')).toBeNull();
    expect(widened.checkAddress('192.168.1.1', 'secret.lab.example')).toContain(
      'SCAN_DENY',
    );
    expect(widened.checkAddress('10.9.0.1', 'intranet.example')).toContain(
      'SCAN_DENY',
    );
    expect(widened.checkLiteral('localhost')).toBeNull();
  });

  it('narrows public space too', () => {
    const narrowed = ScanScope.fromLists([], ['8.8.8.0/24']);
    expect(narrowed.checkAddress('8.8.8.8')).toContain('SCAN_DENY');
    expect(narrowed.checkAddress('::ffff:8.8.8.8')).toContain('SCAN_DENY');
  });

  it('rejects entries that are not hosts, addresses or CIDRs', () => {
    expect(() => parseScopeEntry('10.0.0.0/33')).toThrow();
    expect(() => parseScopeEntry('not a host')).toThrow();
    expect(parseScopeEntry('Bücher.Example').type).toBe('host');
  });
});

describe('resolveInScope (S-15)', () => {
  const answers =
    (addresses: ResolvedAddress[]) => async (): Promise<ResolvedAddress[]> =>
      addresses;

  it('returns the checked address to connect to', async () => {
    const resolved = await resolveInScope(
      new ScanScope(),
      'example.com',
      answers([{ address: '93.184.215.14', family: 4 }]),
    );
    expect(resolved).toEqual({ address: '93.184.215.14', family: 4 });
  });

  it('refuses a name when any of its addresses is out of scope', async () => {
    const rebinding = answers([
      { address: '93.184.215.14', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ]);
    await expect(
      resolveInScope(new ScanScope(), 'rebind.example', rebinding),
    ).rejects.toThrow(OutOfScopeError);
    await expect(
      resolveInScope(new ScanScope(), 'rebind.example', rebinding),
    ).rejects.toThrow(/127\.0\.0\.1 \(rebind\.example\) is a loopback address/);
  });

  it('never asks the resolver about an address literal', async () => {
    const resolve = jest.fn();
    await expect(
      resolveInScope(new ScanScope(), '[fd00::1]', resolve),
    ).rejects.toThrow(/unique local/);
    expect(resolve).not.toHaveBeenCalled();
  });
});
