import type { IncomingMessage } from 'node:http';
import { ProblemException } from '@gatehouse/shared/http';

// The backend reads bodies itself so /echo reports exactly the bytes that arrived.
export async function rawBody(
  req: IncomingMessage,
  limit: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      throw new ProblemException({
        status: 413,
        title: 'Content Too Large',
        type: 'body-too-large',
        detail: `Bodies over ${limit} bytes are not accepted.`,
      });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}
