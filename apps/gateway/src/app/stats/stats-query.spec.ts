import { ProblemException } from '@gatehouse/shared/http';
import { parseStatsQuery } from './stats-query';

describe('parseStatsQuery (G-10)', () => {
  it('defaults and parses limit and offset', () => {
    expect(parseStatsQuery('')).toEqual({ limit: 100, offset: 0 });
    expect(parseStatsQuery('limit=5&offset=10')).toEqual({
      limit: 5,
      offset: 10,
    });
  });

  it.each([
    'limit=0',
    'limit=1001',
    'limit=-1',
    'limit=1.5',
    'limit=abc',
    'limit=',
    'limit=1&limit=2',
    'offset=-3',
    'sort=path',
  ])('rejects %s with 400', (query) => {
    let error: unknown;
    try {
      parseStatsQuery(query);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProblemException);
    expect((error as ProblemException).getStatus()).toBe(400);
  });
});
