import type { SchemaObject } from '@nestjs/swagger';

// O-2: the backend's JSON shapes, referenced as #/components/schemas/<name>.
export const BACKEND_SCHEMAS: Record<string, SchemaObject> = {
  Liveness: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['ok'] } },
  },
  DefaultMessage: {
    type: 'object',
    required: ['message'],
    properties: { message: { type: 'string' } },
  },
  ApiResource: {
    type: 'object',
    required: ['resource', 'items'],
    properties: {
      resource: { type: 'string' },
      items: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'integer' } },
        },
      },
    },
  },
  Echo: {
    type: 'object',
    required: [
      'method',
      'path',
      'query',
      'headers',
      'bodyLength',
      'bodySha256',
    ],
    properties: {
      method: { type: 'string' },
      path: { type: 'string' },
      query: { type: 'string' },
      headers: {
        type: 'array',
        items: {
          type: 'array',
          items: { type: 'string' },
          minItems: 2,
          maxItems: 2,
        },
      },
      bodyLength: { type: 'integer', minimum: 0 },
      bodySha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    },
  },
  ScenarioSteps: {
    type: 'object',
    required: ['steps'],
    properties: { steps: { type: 'integer', minimum: 0 } },
  },
  MockRequests: {
    type: 'object',
    required: ['timestamps'],
    properties: { timestamps: { type: 'array', items: { type: 'number' } } },
  },
};
