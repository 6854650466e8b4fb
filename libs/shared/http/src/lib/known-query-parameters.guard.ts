import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DECORATORS } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import { ACCEPT_ANY_QUERY } from './accept-any-query.decorator';
import { ProblemException } from './problem.exception';

const MAX_NAMES_SHOWN = 5;
const MAX_NAME_CHARS = 40;

interface DocumentedParameter {
  in?: string;
  name?: string;
}

// The query parameters a route documents with @ApiQuery (on the method or its controller).
export function documentedQueryParameters(
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  handler: Function,
): string[] {
  const parameters = (Reflect.getMetadata(DECORATORS.API_PARAMETERS, handler) ??
    []) as DocumentedParameter[];
  return parameters
    .filter((p) => p.in === 'query' && typeof p.name === 'string' && p.name)
    .map((p) => p.name as string);
}

// A client's parameter name, bounded and with anything but printable ASCII escaped, so that the
// answer never carries huge input, control or bidirectional characters.
function shown(name: string): string {
  const chars = [...name];
  const text = chars
    .slice(0, MAX_NAME_CHARS)
    .map((char) =>
      /^[\x20-\x7e]$/.test(char) && char !== '"' && char !== '\\'
        ? char
        : `\\u{${(char.codePointAt(0) as number).toString(16)}}`,
    )
    .join('');
  return `"${text}${chars.length > MAX_NAME_CHARS ? '…' : ''}"`;
}

export function unknownQueryParameters(
  unknown: string[],
  accepted: string[],
): ProblemException {
  const names = unknown.slice(0, MAX_NAMES_SHOWN).map(shown).join(', ');
  const more =
    unknown.length > MAX_NAMES_SHOWN
      ? ` (and ${unknown.length - MAX_NAMES_SHOWN} more)`
      : '';
  const allowed =
    accepted.length === 0
      ? 'This route takes no query parameters.'
      : `This route accepts: ${[...accepted].sort().join(', ')}.`;
  return ProblemException.badRequest(
    'invalid-query',
    `Unknown query parameter(s): ${names}${more}. ${allowed}`,
  );
}

// Unknown query parameters are a 400 on every route (SPEC "Errors and bad input"). A route
// accepts exactly the parameters its OpenAPI document lists (@ApiQuery), so the document and
// the check cannot drift apart; @AcceptAnyQuery() exempts a route. Values are the route's own
// business: this guard only decides which names may appear.
@Injectable()
export class KnownQueryParametersGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const handler = context.getHandler();
    if (
      this.reflector.getAllAndOverride<boolean>(ACCEPT_ANY_QUERY, [
        handler,
        context.getClass(),
      ])
    )
      return true;
    const req = context
      .switchToHttp()
      .getRequest<IncomingMessage & { originalUrl?: string }>();
    const url = req.originalUrl ?? req.url ?? '';
    const start = url.indexOf('?');
    if (start === -1) return true;
    const accepted = documentedQueryParameters(handler);
    const unknown = [
      ...new Set(new URLSearchParams(url.slice(start + 1)).keys()),
    ].filter((name) => !accepted.includes(name));
    if (unknown.length > 0) throw unknownQueryParameters(unknown, accepted);
    return true;
  }
}
