import { JsonFlagScanner } from './json-flag-scanner';

const scanner = new JsonFlagScanner('is_malicious', 8);
const scan = (text: string) => scanner.scan(text);

describe('JsonFlagScanner (G-2)', () => {
  it.each([
    '{"is_malicious":true}',
    '{"is_malicious":1}',
    '{"is_malicious":-2.5e3}',
    '{"is_malicious":0.001}',
    '{"is_malicious":1e-400}',
    '{"is_malicious":"TRUE"}',
    '{"is_malicious":"\\u0074rue"}',
    '{"is_malici\\u006fus":true}',
    '[[{"a":[{"is_malicious":true}]}]]',
    '{"is_malicious":true,"is_malicious":false}',
    '{"is_malicious":false,"is_malicious":true}',
    '{"__proto__":{"is_malicious":true}}',
    '\uFEFF {"is_malicious" : true } ',
  ])('flags %s', (text) => {
    expect(scan(text)).toEqual({ kind: 'valid', flagged: true });
  });

  it.each([
    '{"is_malicious":false}',
    '{"is_malicious":0}',
    '{"is_malicious":-0.0e10}',
    '{"is_malicious":null}',
    '{"is_malicious":"yes"}',
    '{"is_malicious":" true"}',
    '{"is_malicious":[true]}',
    '{"is_malicious":{"is_malicious_not":true}}',
    '{"IS_MALICIOUS":true}',
    '["is_malicious", true]',
    '"is_malicious"',
    '{}',
    '[]',
    '123',
  ])('does not flag %s', (text) => {
    expect(scan(text)).toEqual({ kind: 'valid', flagged: false });
  });

  it.each([
    '',
    '{',
    '{"is_malicious":true',
    '{"is_malicious":true,}',
    '{"a":1}}',
    "{'is_malicious':true}",
    '{"is_malicious":tru}',
    '{"is_malicious":01}',
    '{"a":"\u0001"}',
    '{"a":"\\x41"}',
    '{"a":"\\u12G4"}',
    '[1,]',
    '{"a" 1}',
    'true false',
  ])('calls %j invalid', (text) => {
    expect(scan(text)).toEqual({ kind: 'invalid' });
  });

  it('bounds nesting depth without recursion trouble', () => {
    expect(scan(`${'['.repeat(8)}${']'.repeat(8)}`)).toEqual({
      kind: 'valid',
      flagged: false,
    });
    expect(scan(`${'['.repeat(9)}${']'.repeat(9)}`)).toEqual({
      kind: 'too-deep',
    });
    expect(scan('['.repeat(1_000_000))).toEqual({ kind: 'too-deep' });
  });

  it('handles long numbers and strings', () => {
    expect(
      scan(`{"is_malicious":${'0'.repeat(1)}.${'0'.repeat(2000)}1}`),
    ).toEqual({ kind: 'valid', flagged: true });
    expect(
      scan(`{"k":"${'x'.repeat(100_000)}","is_malicious":"True"}`),
    ).toEqual({ kind: 'valid', flagged: true });
  });
});
