import { ProblemException } from './problem.exception';

// The fields body-parser (http-errors) and zlib put on the errors a body can raise.
interface BodyError {
  type?: unknown;
  status?: unknown;
  limit?: unknown;
  code?: unknown;
}

function problem(
  status: number,
  title: string,
  type: string,
  detail: string,
): ProblemException {
  return new ProblemException({ status, title, type, detail });
}

const badRequest = (detail: string) =>
  ProblemException.badRequest('bad-request', detail);
const unsupported = (detail: string) =>
  problem(415, 'Unsupported Media Type', 'unsupported-media-type', detail);

// A body that does not decompress as its Content-Encoding says fails inside zlib.
function isDecodeError(code: unknown): boolean {
  return (
    typeof code === 'string' &&
    (code.startsWith('Z_') || /BROTLI|ZSTD/.test(code))
  );
}

// An error raised while a request body is read or parsed, as a problem that says what was wrong
// without quoting the body or the client's header values (V8's JSON errors quote the input).
// Anything else: undefined.
export function bodyParserProblem(
  error: unknown,
): ProblemException | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, status, limit, code } = error as BodyError;
  switch (type) {
    case 'entity.parse.failed':
      return badRequest('The request body is not valid JSON.');
    case 'entity.too.large':
      return problem(
        413,
        'Payload Too Large',
        'payload-too-large',
        typeof limit === 'number'
          ? `The request body is larger than the ${limit} bytes accepted here, once decoded.`
          : 'The request body is larger than accepted here.',
      );
    case 'charset.unsupported':
      return unsupported(
        "The request body's charset is not supported: send UTF-8.",
      );
    case 'encoding.unsupported':
      return unsupported(
        "The request body's Content-Encoding is not supported: send it as identity, gzip, deflate or br.",
      );
    case 'request.aborted':
      return badRequest('The request body ended before it was complete.');
    case 'request.size.invalid':
      return badRequest(
        "The request body's length does not match its Content-Length.",
      );
  }
  if (status === 400 && isDecodeError(code))
    return badRequest(
      'The request body could not be decoded as its Content-Encoding says.',
    );
  return undefined;
}
