import { HttpException } from '@nestjs/common';
import { problemType } from '@gatehouse/shared/contracts';
import { STATUS_CODES } from 'node:http';

export interface ProblemInit {
  status: number;
  title: string;
  detail: string;
  // Short slug appended to the problem type base, e.g. 'malicious-payload'.
  type: string;
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

// An error a client may see as-is: every field is safe to send.
export class ProblemException extends HttpException {
  readonly problemType: string;
  readonly title: string;
  readonly detail: string;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(init: ProblemInit) {
    super(init.detail, init.status);
    this.problemType = problemType(init.type);
    this.title = init.title;
    this.detail = init.detail;
    this.headers = init.headers ?? {};
    this.extensions = init.extensions ?? {};
  }

  // A problem titled with the status's reason phrase, e.g. 403 "Forbidden".
  static of(status: number, type: string, detail: string): ProblemException {
    return new ProblemException({
      status,
      title: STATUS_CODES[status] ?? 'Error',
      type,
      detail,
    });
  }

  // The one 400: bad input of the kind the type slug names, e.g. 'invalid-query'.
  static badRequest(type: string, detail: string): ProblemException {
    return ProblemException.of(400, type, detail);
  }
}
