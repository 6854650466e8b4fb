import { Controller, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { ApiQuery } from '@nestjs/swagger';
import { AcceptAnyQuery } from './accept-any-query.decorator';
import {
  documentedQueryParameters,
  KnownQueryParametersGuard,
} from './known-query-parameters.guard';
import { ProblemException } from './problem.exception';

@Controller('things')
class ThingsController {
  @Get()
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  list(): void {
    return;
  }

  @Get('summary')
  summary(): void {
    return;
  }

  @Get('open')
  @AcceptAnyQuery()
  open(): void {
    return;
  }
}

@Controller('upstream')
@AcceptAnyQuery()
class UpstreamController {
  @Get()
  anything(): void {
    return;
  }
}

@Controller('paged')
@ApiQuery({ name: 'page', required: false })
class PagedController {
  @Get()
  page(): void {
    return;
  }
}

const guard = new KnownQueryParametersGuard(new Reflector());

function check(
  controller: new () => object,
  method: string,
  url: string,
): boolean {
  const handler = (controller.prototype as Record<string, () => void>)[method];
  const req = { url, originalUrl: url, headers: {} };
  return guard.canActivate(
    new ExecutionContextHost([req, {}], controller, handler),
  );
}

function refusal(
  controller: new () => object,
  method: string,
  url: string,
): ProblemException {
  try {
    check(controller, method, url);
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemException);
    return error as ProblemException;
  }
  throw new Error(`${url} was let through`);
}

describe('KnownQueryParametersGuard (Errors: unknown query parameters)', () => {
  it('reads the accepted names from the route’s @ApiQuery declarations', () => {
    expect(documentedQueryParameters(ThingsController.prototype.list)).toEqual(
      expect.arrayContaining(['limit', 'cursor']),
    );
    expect(
      documentedQueryParameters(ThingsController.prototype.summary),
    ).toEqual([]);
    // A class-level @ApiQuery documents every route of the controller.
    expect(documentedQueryParameters(PagedController.prototype.page)).toEqual([
      'page',
    ]);
  });

  it('lets through no query, an empty one, and documented names', () => {
    expect(check(ThingsController, 'summary', '/things/summary')).toBe(true);
    expect(check(ThingsController, 'summary', '/things/summary?')).toBe(true);
    expect(check(ThingsController, 'list', '/things?limit=5&cursor=x')).toBe(
      true,
    );
    // Values and repeats are the route's own business.
    expect(check(ThingsController, 'list', '/things?limit=x&limit=y')).toBe(
      true,
    );
    expect(check(PagedController, 'page', '/paged?page=2')).toBe(true);
  });

  it('answers 400 problem naming the unknown parameters and what the route accepts', () => {
    const problem = refusal(ThingsController, 'list', '/things?limit=1&foo=1');
    expect(problem.getStatus()).toBe(400);
    expect(problem.problemType).toMatch(/invalid-query$/);
    expect(problem.detail).toBe(
      'Unknown query parameter(s): "foo". This route accepts: cursor, limit.',
    );
    expect(
      refusal(ThingsController, 'summary', '/things/summary?foo=1&bar').detail,
    ).toBe(
      'Unknown query parameter(s): "foo", "bar". This route takes no query parameters.',
    );
    // Names are compared as decoded, exactly: case and encoding do not sneak one past.
    expect(
      refusal(ThingsController, 'list', '/things?Limit=1').detail,
    ).toContain('"Limit"');
    expect(
      refusal(ThingsController, 'list', '/things?li%6Dit=1&x%5B%5D=1').detail,
    ).toContain('"x[]"');
  });

  it('never echoes huge input, controls or bidirectional characters', () => {
    const long = `${'a'.repeat(5_000)}=1`;
    const many = Array.from({ length: 50 }, (_, i) => `p${i}=1`).join('&');
    expect(refusal(ThingsController, 'summary', `/x?${long}`).detail).toBe(
      `Unknown query parameter(s): "${'a'.repeat(40)}…". This route takes no query parameters.`,
    );
    expect(refusal(ThingsController, 'summary', `/x?${many}`).detail).toBe(
      'Unknown query parameter(s): "p0", "p1", "p2", "p3", "p4" (and 45 more). This route takes no query parameters.',
    );
    const hostile = refusal(
      ThingsController,
      'summary',
      '/x?%0Aa%E2%80%AEb%22%5C=1',
    ).detail;
    expect(hostile).toContain('"\\u{a}a\\u{202e}b\\u{22}\\u{5c}"');
    expect(hostile).not.toMatch(/[\n\u202e]/);
  });

  it('lets any query through a route or controller marked @AcceptAnyQuery()', () => {
    expect(check(ThingsController, 'open', '/things/open?anything=1')).toBe(
      true,
    );
    expect(check(UpstreamController, 'anything', '/upstream?a=1&b=2')).toBe(
      true,
    );
  });

  it('leaves non-HTTP contexts alone', () => {
    const context = new ExecutionContextHost(
      [],
      ThingsController,
      ThingsController.prototype.summary,
    );
    context.setType('rpc');
    expect(guard.canActivate(context)).toBe(true);
  });
});
