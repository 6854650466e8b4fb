import { bodyParserProblem } from './body-parser.problem';

// Errors shaped as body-parser 2 (http-errors) and zlib raise them.
function parserError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), { expose: true, ...fields });
}

describe('bodyParserProblem (Errors: body parsing)', () => {
  it.each([
    [
      'malformed JSON',
      parserError(`Unexpected token 'x', "{"a": x<script>" is not valid JSON`, {
        status: 400,
        type: 'entity.parse.failed',
      }),
      400,
      'The request body is not valid JSON.',
    ],
    [
      'too large',
      parserError('request entity too large', {
        status: 413,
        type: 'entity.too.large',
        limit: 16_384,
      }),
      413,
      'The request body is larger than the 16384 bytes accepted here, once decoded.',
    ],
    [
      'an unsupported charset',
      parserError('unsupported charset "X<SCRIPT>"', {
        status: 415,
        type: 'charset.unsupported',
      }),
      415,
      "The request body's charset is not supported: send UTF-8.",
    ],
    [
      'an unsupported content encoding',
      parserError('unsupported content encoding "x<script>"', {
        status: 415,
        type: 'encoding.unsupported',
      }),
      415,
      expect.stringContaining('Content-Encoding is not supported'),
    ],
    [
      'a body that does not gunzip',
      parserError('incorrect header check', {
        status: 400,
        code: 'Z_DATA_ERROR',
      }),
      400,
      'The request body could not be decoded as its Content-Encoding says.',
    ],
    [
      'a short body',
      parserError('request size did not match content length', {
        status: 400,
        type: 'request.size.invalid',
      }),
      400,
      expect.stringContaining('Content-Length'),
    ],
  ])('maps %s without quoting the input', (_what, error, status, detail) => {
    const problem = bodyParserProblem(error);
    expect(problem?.getStatus()).toBe(status);
    expect(problem?.detail).toEqual(detail);
    expect(problem?.detail).not.toMatch(/script/i);
  });

  it('leaves other errors alone', () => {
    expect(bodyParserProblem(new Error('boom'))).toBeUndefined();
    expect(bodyParserProblem('text')).toBeUndefined();
    expect(bodyParserProblem(null)).toBeUndefined();
    expect(
      bodyParserProblem(parserError('nope', { status: 404 })),
    ).toBeUndefined();
  });
});
