import { emptyDecisionCounts } from './gateway.store';
import { MemoryStore } from './memory.store';

function store(maxPaths = 1000): MemoryStore {
  return new MemoryStore({ maxClients: 100, ttlMs: 60_000, maxPaths });
}

describe('MemoryStore', () => {
  it('G-3: swaps the last request of a client and returns the previous one', async () => {
    const s = store();
    expect(await s.swapLastRequest('a', 'x')).toBeNull();
    expect(await s.swapLastRequest('a', 'x')).toBe('x');
    expect(await s.swapLastRequest('b', 'y')).toBeNull();
    expect(await s.swapLastRequest('a', 'z')).toBe('x');
  });

  it('G-11: adds decision counts', async () => {
    const s = store();
    await s.addTraffic(
      { ...emptyDecisionCounts(), forwarded: 2, blocked: 1 },
      new Map(),
    );
    await s.addTraffic({ ...emptyDecisionCounts(), forwarded: 1 }, new Map());
    expect(await s.decisionCounts()).toEqual({
      ...emptyDecisionCounts(),
      forwarded: 3,
      blocked: 1,
    });
  });

  it('G-10: ranks paths by count descending, then path ascending, with paging', async () => {
    const s = store();
    await s.addTraffic(
      emptyDecisionCounts(),
      new Map([
        ['/b', 2],
        ['/a', 2],
        ['/c', 5],
        ['/d', 1],
      ]),
    );
    await s.addTraffic(emptyDecisionCounts(), new Map([['/d', 1]]));
    expect(await s.topPaths(0, 10)).toEqual({
      total: 4,
      paths: [
        { path: '/c', count: 5 },
        { path: '/a', count: 2 },
        { path: '/b', count: 2 },
        { path: '/d', count: 2 },
      ],
    });
    expect((await s.topPaths(1, 2)).paths.map((p) => p.path)).toEqual([
      '/a',
      '/b',
    ]);
  });

  it('G-5: stays bounded in the number of paths it counts', async () => {
    const s = store(100);
    const paths = new Map<string, number>();
    for (let i = 0; i < 1000; i++) paths.set(`/p/${i}`, 1);
    await s.addTraffic(emptyDecisionCounts(), paths);
    expect((await s.topPaths(0, 1000)).total).toBe(100);
  });
});
