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
  ])('rejects %p with a 400 problem', (query) => {
    expect(() => parseListScansQuery(query)).toThrow(ProblemException);
  });
});
