import { applyDecorators } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  ApiResponse,
  DocumentBuilder,
  OpenAPIObject,
  SchemaObject,
  SwaggerModule,
} from '@nestjs/swagger';
import {
  JsonSchema,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_DETAILS_SCHEMA,
} from '@gatehouse/shared/contracts';
import { STATUS_CODES } from 'node:http';
import { ACCEPT_ANY_QUERY_EXTENSION } from './accept-any-query.decorator';

export interface OpenApiOptions {
  title: string;
  description: string;
  version?: string;
  // Extra component schemas referenced by the app's decorators as #/components/schemas/<name>.
  schemas?: Record<string, ComponentSchema>;
}

export const PROBLEM_SCHEMA_REF = '#/components/schemas/ProblemDetails';

// A component schema: a shape from the contracts, or an app's own OpenAPI schema object.
export type ComponentSchema = JsonSchema | SchemaObject;

// The named schemas as plain OpenAPI objects. A nested schema that is itself one of the named
// ones (the same object) becomes a $ref to it, so each shape is written out once per document.
export function componentSchemas(
  named: Record<string, ComponentSchema>,
): Record<string, SchemaObject> {
  const names = new Map<object, string>();
  for (const [name, schema] of Object.entries(named))
    if (!names.has(schema)) names.set(schema, name);
  const copy = (value: unknown, top: boolean): unknown => {
    if (Array.isArray(value)) return value.map((item) => copy(item, false));
    if (typeof value !== 'object' || value === null) return value;
    const name = top ? undefined : names.get(value);
    if (name !== undefined) return schemaRef(name);
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, copy(item, false)]),
    );
  };
  return Object.fromEntries(
    Object.entries(named).map(([name, schema]) => [
      name,
      copy(schema, true) as SchemaObject,
    ]),
  );
}

export function schemaRef(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

// Describes error answers: each status is problem+json with the shared schema.
export function ApiProblemResponses(
  ...statuses: number[]
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: `${STATUS_CODES[status] ?? 'Error'} (problem+json)`,
        content: {
          [PROBLEM_CONTENT_TYPE]: { schema: { $ref: PROBLEM_SCHEMA_REF } },
        },
      }),
    ),
  );
}

// A JSON answer described by a raw schema (no DTO classes needed for plain interfaces).
export function ApiJsonResponse(
  status: number,
  description: string,
  schema: SchemaObject | { $ref: string },
): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status,
    description,
    content: { 'application/json': { schema } },
  });
}

const OPERATION_METHODS = [
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
] as const;

// KnownQueryParametersGuard answers 400 on every route not marked with @AcceptAnyQuery(), so
// every such operation describes a 400 even when the route itself has no other.
function describeUnknownQueryAnswers(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of OPERATION_METHODS) {
      const operation = item[method];
      if (!operation || ACCEPT_ANY_QUERY_EXTENSION in operation) continue;
      operation.responses['400'] ??= {
        description:
          'Bad Request (problem+json): an unknown query parameter, or other bad input',
        content: {
          [PROBLEM_CONTENT_TYPE]: { schema: { $ref: PROBLEM_SCHEMA_REF } },
        },
      };
    }
  }
}

export function buildOpenApiDocument(
  app: NestExpressApplication,
  options: OpenApiOptions,
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(options.title)
    .setDescription(options.description)
    .setVersion(options.version ?? '1.0.0')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  describeUnknownQueryAnswers(document);
  document.components = {
    ...document.components,
    schemas: {
      ...document.components?.schemas,
      ...componentSchemas({
        ProblemDetails: PROBLEM_DETAILS_SCHEMA,
        ...options.schemas,
      }),
    },
  };
  return document;
}

// O-2: GET /openapi.json and GET /docs (Swagger UI), under the global prefix when there is one.
export function setupOpenApi(
  app: NestExpressApplication,
  options: OpenApiOptions,
): OpenAPIObject {
  const document = buildOpenApiDocument(app, options);
  SwaggerModule.setup('docs', app, document, {
    useGlobalPrefix: true,
    jsonDocumentUrl: 'openapi.json',
    raw: ['json'],
    customSiteTitle: options.title,
  });
  return document;
}
