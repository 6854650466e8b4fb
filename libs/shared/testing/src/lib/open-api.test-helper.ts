import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

// The parts of an OpenAPI 3 document this checker reads.
interface MediaType {
  schema?: Record<string, unknown>;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
}
interface Operation {
  responses: Record<string, ResponseObject>;
}
export interface OpenApiDocumentJson {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: Record<string, unknown>;
}

export interface ObservedResponse {
  method: string;
  // The request path without the query string.
  path: string;
  status: number;
  contentType: string | null;
  body: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  literalChars: number;
  operation: Operation;
}

function routePattern(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      if (!part.startsWith('{'))
        return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      // Nest documents wildcard routes ({*path}) as {path}: it spans segments.
      return part === '{path}' ? '.+' : '[^/]+';
    })
    .join('');
  return new RegExp(`^${source}$`);
}

// O-2: checks real responses against an app's OpenAPI document. A status, content type or
// body the document does not describe is an error; so is a route no test exercised.
export class OpenApiChecker {
  private readonly ajv: Ajv;
  private readonly routes: Route[] = [];
  private readonly exercised = new Set<string>();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocumentJson) {
    if (!/^3\./.test(document.openapi))
      throw new Error(`not an OpenAPI 3 document: ${document.openapi}`);
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    for (const [template, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        this.routes.push({
          method,
          template,
          pattern: routePattern(template),
          literalChars: template.replace(/\{[^}]+\}/g, '').length,
          operation,
        });
      }
    }
    // The most specific template wins: /scans/summary before /scans/{id}.
    this.routes.sort((a, b) => b.literalChars - a.literalChars);
  }

  static async load(url: string): Promise<OpenApiChecker> {
    const response = await fetch(url);
    if (response.status !== 200)
      throw new Error(`GET ${url} answered ${response.status}`);
    return new OpenApiChecker((await response.json()) as OpenApiDocumentJson);
  }

  operations(): string[] {
    return this.routes.map((r) => `${r.method.toUpperCase()} ${r.template}`);
  }

  // Documented operations that no checked response exercised.
  unexercised(): string[] {
    return this.operations().filter((op) => !this.exercised.has(op));
  }

  check(observed: ObservedResponse): void {
    const method = observed.method.toLowerCase();
    const where = `${observed.method.toUpperCase()} ${observed.path} -> ${observed.status}`;
    const route = this.routes.find(
      (r) => r.method === method && r.pattern.test(observed.path),
    );
    if (!route) throw new Error(`${where}: the document has no such route`);
    const key = `${method.toUpperCase()} ${route.template}`;
    const responses = route.operation.responses;
    const described =
      responses[String(observed.status)] ??
      responses[`${String(observed.status)[0]}XX`] ??
      responses['default'];
    if (!described)
      throw new Error(
        `${where}: status not described for ${key} (documented: ${Object.keys(responses).join(', ')})`,
      );
    const content = described.content ?? {};
    const mediaType = (observed.contentType ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    if (Object.keys(content).length === 0) {
      if (observed.body.length > 0)
        throw new Error(`${where}: a body was sent but none is documented`);
      this.exercised.add(key);
      return;
    }
    const media = content[mediaType];
    if (!media)
      throw new Error(
        `${where}: content type "${mediaType}" not described (documented: ${Object.keys(content).join(', ')})`,
      );
    const schema = media.schema ?? {};
    let value: unknown = observed.body;
    if (/[/+]json$/.test(mediaType)) {
      try {
        value = JSON.parse(observed.body);
      } catch {
        throw new Error(
          `${where}: the body is not JSON: ${observed.body.slice(0, 200)}`,
        );
      }
    }
    const validate = this.validator(
      `${key} ${observed.status} ${mediaType}`,
      schema,
    );
    if (!validate(value))
      throw new Error(
        `${where}: body does not match the document: ${this.ajv.errorsText(validate.errors)}; body ${observed.body.slice(0, 300)}`,
      );
    this.exercised.add(key);
  }

  // Sends a request, checks its response, and returns it with the body read.
  async fetchChecked(
    url: string,
    init: RequestInit = {},
  ): Promise<{
    status: number;
    headers: Headers;
    text: string;
    json: () => unknown;
  }> {
    const response = await fetch(url, init);
    const text = await response.text();
    this.check({
      method: init.method ?? 'GET',
      path: new URL(url).pathname,
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: text,
    });
    return {
      status: response.status,
      headers: response.headers,
      text,
      json: () => JSON.parse(text) as unknown,
    };
  }

  private validator(
    key: string,
    schema: Record<string, unknown>,
  ): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile({
        allOf: [schema],
        components: this.document.components ?? {},
      });
      this.compiled.set(key, validate);
    }
    return validate;
  }
}
