import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import {
  PROBLEM_CONTENT_TYPE,
  ProblemDetails,
  problemType,
} from '@gatehouse/shared/contracts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { bodyParserProblem } from './body-parser.problem';
import { ProblemException } from './problem.exception';

type RequestWithId = IncomingMessage & {
  id?: string | number;
  originalUrl?: string;
};

// Errors from body parsers and other http-errors style middleware carry a status and an expose flag.
interface HttpError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  message?: string;
}

function requestPath(req: RequestWithId): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function titleFor(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function slugFor(status: number): string {
  return titleFor(status)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export function toProblem(
  error: unknown,
  req: RequestWithId,
): {
  problem: ProblemDetails & { status: number };
  headers: Record<string, string>;
  // The HTTP status; the body's "status" may differ when an extension overrides it (S-10).
  status: number;
} {
  const parserProblem = bodyParserProblem(error);
  if (parserProblem) return toProblem(parserProblem, req);
  const instance = requestPath(req);
  const requestId = req.id === undefined ? undefined : String(req.id);
  if (error instanceof ProblemException) {
    return {
      problem: {
        type: error.problemType,
        title: error.title,
        status: error.getStatus(),
        detail: error.detail,
        instance,
        requestId,
        ...error.extensions,
      },
      headers: error.headers,
      status: error.getStatus(),
    };
  }
  let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
  let detail = 'An unexpected error occurred.';
  if (error instanceof HttpException) {
    status = error.getStatus();
    const body = error.getResponse();
    const message =
      typeof body === 'string' ? body : (body as { message?: unknown }).message;
    detail = Array.isArray(message)
      ? message.join('; ')
      : typeof message === 'string'
        ? message
        : error.message;
  } else if (typeof error === 'object' && error !== null) {
    const httpError = error as HttpError;
    const candidate = httpError.status ?? httpError.statusCode;
    if (typeof candidate === 'number' && candidate >= 400 && candidate < 500) {
      status = candidate;
      detail =
        httpError.expose && httpError.message
          ? httpError.message
          : titleFor(status);
    }
  }
  return {
    problem: {
      type: problemType(slugFor(status)),
      title: titleFor(status),
      status,
      detail,
      instance,
      requestId,
    },
    headers: {},
    status,
  };
}

export function sendProblem(
  res: ServerResponse,
  problem: ProblemDetails & { status: number },
  headers: Record<string, string> = {},
  status: number = problem.status,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(problem);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers))
    res.setHeader(name, value);
  res.setHeader('content-type', PROBLEM_CONTENT_TYPE);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('cache-control', 'no-store');
  res.end(body);
}

// One filter for every app: every error leaves as RFC 9457 problem+json, never a stack trace.
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetailsFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<RequestWithId>();
    const res = http.getResponse<ServerResponse>();
    const { problem, headers, status } = toProblem(error, req);
    if (status >= 500 && !(error instanceof HttpException)) {
      this.logger.error(
        { err: error, requestId: problem.requestId },
        'unhandled error',
      );
    }
    sendProblem(res, problem, headers, status);
  }
}
