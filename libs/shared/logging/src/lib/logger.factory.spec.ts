import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger, isoTime } from './logger.factory';

describe('createLogger', () => {
  it('writes one JSON line per event with the service name and redacted secrets', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger({
      service: 'test',
      level: 'info',
      destination: sink,
    });
    logger.info(
      {
        req: {
          headers: {
            authorization: 'Bearer hunter2',
            cookie: 'sid=1',
            'x-my-jwt': 'e.y.j',
          },
        },
      },
      'hello',
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({
      level: 'info',
      service: 'test',
      msg: 'hello',
    });
    expect(lines[0]).not.toMatch(/hunter2|sid=1|e\.y\.j/);
    expect(line.req.headers.authorization).toBe('[redacted]');
  });
});

describe('isoTime', () => {
  it("writes the same time field as pino's isoTime, cached within one millisecond", () => {
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(1_700_000_000_123);
      const first = isoTime();
      expect(first).toBe(pino.stdTimeFunctions.isoTime());
      expect(first).toBe(',"time":"2023-11-14T22:13:20.123Z"');
      expect(isoTime()).toBe(first);
      now.mockReturnValue(1_700_000_000_124);
      expect(isoTime()).toBe(',"time":"2023-11-14T22:13:20.124Z"');
    } finally {
      now.mockRestore();
    }
  });
});
