import { OpenApiChecker, OpenApiDocumentJson } from './open-api.test-helper';

const problem = { $ref: '#/components/schemas/Problem' };
const document: OpenApiDocumentJson = {
  openapi: '3.0.0',
  paths: {
    '/scans/summary': {
      get: {
        responses: {
          200: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['total'],
                  properties: { total: { type: 'integer' } },
                },
              },
            },
          },
        },
      },
    },
    '/scans/{id}': {
      get: {
        responses: {
          404: { content: { 'application/problem+json': { schema: problem } } },
        },
      },
    },
  },
  components: {
    schemas: {
      Problem: {
        type: 'object',
        required: ['status'],
        properties: { status: { type: 'integer' } },
      },
    },
  },
};

const ok = (over: Partial<Parameters<OpenApiChecker['check']>[0]>) => ({
  method: 'GET',
  path: '/scans/summary',
  status: 200,
  contentType: 'application/json; charset=utf-8',
  body: '{"total": 3}',
  ...over,
});

describe('OpenApiChecker (O-2)', () => {
  it('accepts a described response and tracks what was exercised', () => {
    const checker = new OpenApiChecker(document);
    expect(checker.unexercised()).toEqual([
      'GET /scans/summary',
      'GET /scans/{id}',
    ]);
    checker.check(ok({}));
    checker.check(
      ok({
        path: '/scans/abc',
        status: 404,
        contentType: 'application/problem+json',
        body: '{"status": 404}',
      }),
    );
    expect(checker.unexercised()).toEqual([]);
  });

  it.each([
    ['an undocumented status', ok({ status: 500 }), /status not described/],
    [
      'an undocumented content type',
      ok({ contentType: 'text/html' }),
      /content type/,
    ],
    [
      'a body that breaks the schema',
      ok({ body: '{"total": "x"}' }),
      /does not match/,
    ],
    ['a body that is not JSON', ok({ body: 'nope' }), /not JSON/],
    ['an unknown route', ok({ path: '/other' }), /no such route/],
  ])('rejects %s', (_what, observed, message) => {
    expect(() => new OpenApiChecker(document).check(observed)).toThrow(message);
  });
});
