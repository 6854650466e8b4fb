import { BadRequestException, NotFoundException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { ProblemException } from './problem.exception';
import { toProblem } from './problem-details.filter';

const req = {
  url: '/scans/abc?x=1',
  id: 'req-1',
} as unknown as IncomingMessage;

describe('toProblem', () => {
  it('keeps a ProblemException as it was built', () => {
    const { problem, headers } = toProblem(
      new ProblemException({
        status: 429,
        title: 'Too Many Requests',
        detail: 'slow down',
        type: 'rate-limited',
        headers: { 'retry-after': '1' },
      }),
      req,
    );
    expect(problem).toEqual({
      type: 'https://gatehouse.dev/problems/rate-limited',
      title: 'Too Many Requests',
      status: 429,
      detail: 'slow down',
      instance: '/scans/abc',
      requestId: 'req-1',
    });
    expect(headers).toEqual({ 'retry-after': '1' });
  });

  it('keeps the HTTP status when an extension overrides the body status (S-10)', () => {
    const { problem, status } = toProblem(
      new ProblemException({
        status: 404,
        title: 'Not Found',
        detail: 'none',
        type: 'scan-not-found',
        extensions: { status: 'Not-Found' },
      }),
      req,
    );
    expect(status).toBe(404);
    expect(problem.status).toBe('Not-Found');
  });

  it('maps Nest exceptions, joining validation messages', () => {
    expect(
      toProblem(
        new BadRequestException(['a must be a string', 'b is not allowed']),
        req,
      ).problem,
    ).toMatchObject({
      status: 400,
      title: 'Bad Request',
      detail: 'a must be a string; b is not allowed',
    });
    expect(
      toProblem(new NotFoundException('Cannot GET /x'), req).problem.status,
    ).toBe(404);
  });

  it('maps body parser errors to 4xx without leaking internals', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      expose: true,
      type: 'entity.too.large',
    });
    expect(toProblem(tooLarge, req).problem).toMatchObject({
      status: 413,
      detail: 'The request body is larger than accepted here.',
      requestId: 'req-1',
    });
    // V8's message quotes the body: it must not reach the client.
    const badJson = Object.assign(
      new SyntaxError('Unexpected token }, "{"a": }" is not valid JSON'),
      { status: 400, expose: true, type: 'entity.parse.failed' },
    );
    expect(toProblem(badJson, req).problem.detail).toBe(
      'The request body is not valid JSON.',
    );
  });

  it('hides unexpected errors behind a generic 500', () => {
    const { problem } = toProblem(
      new Error('connect ECONNREFUSED mongo.internal:27017'),
      req,
    );
    expect(problem).toMatchObject({
      status: 500,
      detail: 'An unexpected error occurred.',
    });
    expect(JSON.stringify(problem)).not.toContain('mongo.internal');
  });
});
