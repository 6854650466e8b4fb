import { TIMED_OUT, untilDeadline } from './until-deadline';

describe('untilDeadline', () => {
  it('settles with the promise when it beats the deadline', async () => {
    await expect(
      untilDeadline(Promise.resolve(7), Date.now() + 1_000),
    ).resolves.toBe(7);
  });

  it('settles with TIMED_OUT at the deadline and swallows a later rejection', async () => {
    const late = new Promise((_resolve, reject) =>
      setTimeout(() => reject(new Error('late')), 50),
    );
    await expect(untilDeadline(late, Date.now() + 10)).resolves.toBe(TIMED_OUT);
    await new Promise((resolve) => setTimeout(resolve, 60));
  });

  it('without a finite deadline is the promise itself', () => {
    const promise = Promise.resolve(1);
    expect(untilDeadline(promise, Number.POSITIVE_INFINITY)).toBe(promise);
  });
});
