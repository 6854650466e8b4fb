import { Logger } from '@nestjs/common';
import { JwtReplayCache } from './jwt-replay.cache';

describe('JwtReplayCache (B-3)', () => {
  let nowMs = 1_000_000;
  const clock = { now: () => nowMs };

  beforeEach(() => {
    nowMs = 1_000_000;
  });

  it('accepts a jti once while its token is live, and forgets it once the token is dead', () => {
    const cache = new JwtReplayCache(100, clock);
    expect(cache.firstUse('a', nowMs + 60_000)).toBe(true);
    expect(cache.firstUse('a', nowMs + 60_000)).toBe(false);
    expect(cache.firstUse('b', nowMs + 60_000)).toBe(true);
    nowMs += 59_999;
    expect(cache.firstUse('a', nowMs + 60_000)).toBe(false);
    nowMs += 2;
    expect(cache.firstUse('a', nowMs + 60_000)).toBe(true);
  });

  it('holds at most max ids: past it the oldest is forgotten first, expired ones before live ones', () => {
    const warn = jest
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation(() => undefined);
    const cache = new JwtReplayCache(100, clock);
    for (let i = 0; i < 50; i++) cache.firstUse(`dead-${i}`, nowMs + 1_000);
    nowMs += 2_000;
    for (let i = 0; i < 10_000; i++)
      expect(cache.firstUse(`live-${i}`, nowMs + 60_000)).toBe(true);
    expect(cache.size).toBe(100);
    // The newest are still refused; the oldest live ones were forgotten to make room.
    expect(cache.firstUse('live-9999', nowMs + 60_000)).toBe(false);
    expect(cache.firstUse('live-9900', nowMs + 60_000)).toBe(false);
    expect(cache.firstUse('live-0', nowMs + 60_000)).toBe(true);
    // Forgetting live ids is warned about, at most once a minute; the dead ones went silently.
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toEqual({ forgotten: 1 });
    warn.mockRestore();
  });
});
