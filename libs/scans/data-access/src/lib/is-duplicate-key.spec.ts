import { isDuplicateKey } from './is-duplicate-key';

describe('isDuplicateKey', () => {
  it('recognises MongoDB and FerretDB duplicate key errors', () => {
    expect(isDuplicateKey({ code: 11000 })).toBe(true);
    expect(isDuplicateKey({ code: 11001 })).toBe(true);
    // FerretDB's message carries no keyPattern, only the code and the E11000 prefix.
    expect(
      isDuplicateKey(
        new Error('E11000 duplicate key error collection: db.scans'),
      ),
    ).toBe(true);
  });

  it('ignores everything else', () => {
    expect(isDuplicateKey(new Error('connection refused'))).toBe(false);
    expect(isDuplicateKey({ code: 121 })).toBe(false);
    expect(isDuplicateKey(null)).toBe(false);
    expect(isDuplicateKey('E11000')).toBe(false);
  });
});
