import { preciseSleep } from './precise-sleep';

describe('preciseSleep', () => {
  it('never returns early', async () => {
    for (const ms of [1, 5, 20])
      expect(await preciseSleep(ms)).toBeGreaterThanOrEqual(ms);
  });
});
