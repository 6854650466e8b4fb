import { Writable } from 'node:stream';
import { createLogger } from './logger.factory';
import { jsonNumber, jsonString, writeJsonLine } from './json-line';

function recordingLogger(level = 'info') {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({
    service: 'test',
    level,
    version: '1.2.3',
    destination: sink,
  });
  return { logger, lines };
}

describe('writeJsonLine', () => {
  it("writes the same line as pino's own serialisation", async () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_123);
    try {
      const { logger, lines } = recordingLogger();
      const fields = {
        requestId: 'r-1',
        client: '10.0.0.1 "quoted" \\ \n \u2028 \ud800',
        method: 'GET',
        upstreamStatus: null,
        latencyMs: 1.25,
        completed: true,
        nan: NaN,
      };
      logger.warn(fields, 'request');
      writeJsonLine(
        logger,
        'warn',
        `,"requestId":${jsonString(fields.requestId)},"client":${jsonString(fields.client)}` +
          `,"method":${jsonString(fields.method)},"upstreamStatus":null` +
          `,"latencyMs":${jsonNumber(fields.latencyMs)},"completed":true,"nan":${jsonNumber(NaN)}`,
        'request',
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(lines).toHaveLength(2);
      expect(JSON.parse(lines[1])).toEqual(JSON.parse(lines[0]));
      expect(lines[1].endsWith('}\n')).toBe(true);
      expect(lines[1].split('\n')).toHaveLength(2);
    } finally {
      now.mockRestore();
    }
  });

  it('writes nothing below the logger level', async () => {
    const { logger, lines } = recordingLogger('warn');
    writeJsonLine(logger, 'info', ',"a":1', 'request');
    writeJsonLine(logger, 'error', ',"a":1', 'request');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', a: 1 });
  });
});

describe('jsonString', () => {
  it.each([
    ['plain'],
    ['a"b'],
    ['back\\slash'],
    ['\u0001'],
    ['\ud83d'],
    ['é€'],
  ])('is JSON.stringify for %j', (value) =>
    expect(jsonString(value)).toBe(JSON.stringify(value)),
  );
});
