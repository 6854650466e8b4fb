import { scanCursor } from '@gatehouse/scans/data-access';
import { ScanStatus } from '@gatehouse/shared/contracts';
import { ProblemException } from '@gatehouse/shared/http';
import { DEFAULT_LIMIT, parseListScansQuery } from './list-scans-query';

describe('parseListScansQuery (S-11)', () => {
  it('defaults the limit and passes status and cursor through', () => {
    expect(parseListScansQuery({})).toEqual({
      status: undefined,
      limit: DEFAULT_LIMIT,
      cursor: undefined,
    });
    const cursor = scanCursor.encode({
      createdAt: new Date(1),
      scanId: '0b8f8d4e-6f1c-4a0e-9d1e-3f4b5a6c7d8e',
    });
    expect(
      parseListScansQuery({ status: 'Running', limit: '5', cursor }),
    ).toEqual({ status: ScanStatus.Running, limit: 5, cursor });
  });

  it.each([
    [{ foo: '1' }],
    [{ status: 'Done' }],
    [{ status: ['Accepted', 'Running'] }],
    [{ status: { $ne: 'x' } }],
    [{ limit: '0' }],
    [{ limit: '101' }],
    [{ limit: '1e2' }],
    [{ limit: '-1' }],
    [{ cursor: 'nope' }],
    [{ target: '' }],
    [{ target: ['a', 'b'] }],
    [{ target: { $regex: '.*' } }],
    [{ target: 'a\u0000' }],
    [{ createdFrom: 'yesterday' }],
    [{ createdTo: '2026-13-45T99:00:00Z' }],
    [
      {
        createdFrom: '2026-12-06T10:00:00Z',
        createdTo: '2026-12-06T09:00:00Z',
      },
    ],
  ])('rejects %p with a 400 problem', (query) => {
    expect(() => parseListScansQuery(query)).toThrow(ProblemException);
  });

  it('S-18: takes a target prefix (host lower-cased, path kept) and a creation window', () => {
    expect(
      parseListScansQuery({
        target: 'HTTPS://Example.COM/Login',
        createdFrom: '2026-12-01T00:00:00Z',
        createdTo: '2026-12-06',
      }),
    ).toEqual({
      status: undefined,
      target: 'https://example.com/Login',
      createdFrom: new Date('2026-12-01T00:00:00Z'),
      createdTo: new Date('2026-12-06T00:00:00Z'),
      limit: DEFAULT_LIMIT,
      cursor: undefined,
    });
    expect(parseListScansQuery({ target: 'Shop.' }).target).toBe('shop.');
  });
});
