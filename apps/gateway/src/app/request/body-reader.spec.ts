import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import {
  BodyTimeoutError,
  ClientAbortedError,
  hasBody,
  readBody,
  remainingBody,
} from './body-reader';

// A request body as a stream the test feeds by hand.
function request(
  headers: Record<string, string> = {},
): PassThrough & IncomingMessage {
  return Object.assign(new PassThrough(), {
    headers,
  }) as unknown as PassThrough & IncomingMessage;
}

async function collect(iterable: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describe('body reader (G-1, G-2, G-6)', () => {
  it('says a request has a body by its framing headers', () => {
    expect(hasBody(request({ 'content-length': '3' }))).toBe(true);
    expect(hasBody(request({ 'transfer-encoding': 'chunked' }))).toBe(true);
    expect(hasBody(request({ 'content-length': '0' }))).toBe(false);
    expect(hasBody(request())).toBe(false);
  });

  it('reads a body in chunks up to its end', async () => {
    const req = request();
    const read = readBody(req, 100, 5_000);
    req.write('{"a":');
    req.end('1}');
    await expect(read).resolves.toEqual({
      body: Buffer.from('{"a":1}'),
      complete: true,
    });
  });

  it('stops past the limit with the start in hand and the rest unread', async () => {
    const req = request();
    const read = readBody(req, 4, 5_000);
    req.write('abc');
    req.write('defg');
    const result = await read;
    expect(result.complete).toBe(false);
    expect(result.body.toString()).toBe('abcdefg');
    req.end('hij');
    // The prefix and what the client still sends, in order (G-1).
    await expect(collect(remainingBody(result.body, req))).resolves.toBe(
      'abcdefghij',
    );
  });

  it('gives up on a body that does not arrive in time (408)', async () => {
    const req = request();
    const read = readBody(req, 100, 20);
    req.write('a');
    const error = await read.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyTimeoutError);
    expect((error as BodyTimeoutError).timeoutMs).toBe(20);
  });

  it('reports a client that went away as aborted, whatever the stream error', async () => {
    const req = request();
    const read = readBody(req, 100, 5_000);
    req.destroy(new Error('socket hang up'));
    await expect(read).rejects.toBeInstanceOf(ClientAbortedError);
    const aborted = request();
    const readAborted = readBody(aborted, 100, 5_000);
    aborted.emit('aborted');
    await expect(readAborted).rejects.toBeInstanceOf(ClientAbortedError);
  });
});
