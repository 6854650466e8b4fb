import type { FromSchema } from './json-schema';

// RFC 9457 problem details, the body of every error Gatehouse itself produces.
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const PROBLEM_DETAILS_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'instance'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    // Numeric per RFC 9457; S-10's 404 carries the state name "Not-Found" in older builds.
    status: { oneOf: [{ type: 'integer' }, { type: 'string' }] },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
  },
  additionalProperties: true,
} as const;

export type ProblemDetails = FromSchema<typeof PROBLEM_DETAILS_SCHEMA>;

export const PROBLEM_TYPE_BASE = 'https://gatehouse.dev/problems/';

export function problemType(slug: string): string {
  return `${PROBLEM_TYPE_BASE}${slug}`;
}
