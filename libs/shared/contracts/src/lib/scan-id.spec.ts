import { isScanId } from './scan-id';

describe('scan ids (S-1)', () => {
  it('are UUID v4, in either case', () => {
    expect(isScanId('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(true);
    expect(isScanId('0F8FAD5B-D9CB-469F-A165-70867728950E')).toBe(true);
    // Version 1, a bad variant, braces and short forms are not scan ids.
    expect(isScanId('0f8fad5b-d9cb-169f-a165-70867728950e')).toBe(false);
    expect(isScanId('0f8fad5b-d9cb-469f-c165-70867728950e')).toBe(false);
    expect(isScanId('{0f8fad5b-d9cb-469f-a165-70867728950e}')).toBe(false);
    expect(isScanId('0f8fad5bd9cb469fa16570867728950e')).toBe(false);
    expect(isScanId('summary')).toBe(false);
  });
});
