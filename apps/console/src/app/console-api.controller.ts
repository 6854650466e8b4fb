import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import {
  ApiBody,
  ApiHeader,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiJsonResponse,
  ApiProblemResponses,
  ProblemException,
  schemaRef,
} from '@gatehouse/shared/http';
import { isScanId } from '@gatehouse/shared/contracts';
import { AppClient, AppName } from './app-client.service';
import {
  GatewayOverview,
  GatewayOverviewService,
} from './gateway-overview.service';

const APPS: AppName[] = ['gateway', 'ingest', 'status'];
// As ingest accepts it (S-1): printable ASCII without spaces.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

// Only the named query parameters, each given once; anything else is a 400.
function pick(query: Record<string, unknown>, allowed: string[]): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (!allowed.includes(key))
      throw ProblemException.badRequest(
        'invalid-request',
        `Unknown query parameter. Allowed: ${allowed.join(', ')}.`,
      );
    if (typeof value !== 'string')
      throw ProblemException.badRequest(
        'invalid-request',
        `"${key}" must be given once, as a plain value.`,
      );
    params.set(key, value);
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function scanId(id: string): string {
  if (!isScanId(id))
    throw ProblemException.badRequest(
      'invalid-request',
      'A scan id is a UUID v4.',
    );
  return id.toLowerCase();
}

// O-1: the console's own read-only API over the gateway, ingest and status; queuing a scan
// goes to ingest. The browser talks to this origin only.
@ApiTags('console')
@Controller('api')
export class ConsoleApiController {
  constructor(
    private readonly apps: AppClient,
    private readonly gateway: GatewayOverviewService,
  ) {}

  @Get('apps')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Which apps the console can reach' })
  @ApiJsonResponse(200, 'Reachability of each app', schemaRef('AppsHealth'))
  async health(): Promise<Record<AppName, 'up' | 'down'>> {
    const states = await Promise.all(
      APPS.map(async (app) => {
        const path = app === 'gateway' ? '/metrics' : '/health/live';
        try {
          const answer = await this.apps.call(app, path);
          return answer.status === 200 ? 'up' : 'down';
        } catch {
          return 'down';
        }
      }),
    );
    return Object.fromEntries(APPS.map((app, i) => [app, states[i]])) as Record<
      AppName,
      'up' | 'down'
    >;
  }

  @Get('gateway')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Gateway uptime, requests by decision, readiness and latency',
  })
  @ApiJsonResponse(200, 'Gateway overview', schemaRef('GatewayOverview'))
  @ApiProblemResponses(502, 503)
  overview(): Promise<GatewayOverview> {
    return this.gateway.overview();
  }

  @Get('gateway/paths')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Top paths through the gateway, paged' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  @ApiJsonResponse(200, 'One page of paths', schemaRef('PathPage'))
  @ApiProblemResponses(400, 502, 503)
  paths(@Query() query: Record<string, unknown>): Promise<unknown> {
    return this.apps.json(
      'gateway',
      `${this.gatewayPrefix()}/stats${pick(query, ['limit', 'offset'])}`,
    );
  }

  @Get('scans/summary')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Scan counts by status' })
  @ApiJsonResponse(200, 'Counts by status', schemaRef('ScanSummary'))
  @ApiProblemResponses(502, 503)
  summary(): Promise<unknown> {
    return this.apps.json('status', '/scans/summary');
  }

  @Get('scans')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary:
      'Scans newest first, filtered by status, target prefix and creation time, cursor-paged',
  })
  @ApiQuery({ name: 'status', required: false, type: String })
  @ApiQuery({ name: 'target', required: false, type: String })
  @ApiQuery({ name: 'createdFrom', required: false, type: String })
  @ApiQuery({ name: 'createdTo', required: false, type: String })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiJsonResponse(200, 'One page of scans', schemaRef('ScanList'))
  @ApiProblemResponses(400, 502, 503)
  list(@Query() query: Record<string, unknown>): Promise<unknown> {
    return this.apps.json(
      'status',
      `/scans${pick(query, [
        'status',
        'target',
        'createdFrom',
        'createdTo',
        'limit',
        'cursor',
      ])}`,
    );
  }

  @Get('scans/:id')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'One scan and its attempt history' })
  @ApiJsonResponse(200, 'The scan and its attempts', schemaRef('ScanDetail'))
  @ApiProblemResponses(400, 404, 502, 503)
  async scan(
    @Param('id') raw: string,
  ): Promise<{ scan: unknown; attempts: unknown[] | null }> {
    const id = scanId(raw);
    const [scan, attempts] = await Promise.allSettled([
      this.apps.json<unknown>('status', `/scans/${id}`),
      this.apps.json<{ items?: unknown[] }>('status', `/scans/${id}/attempts`),
    ]);
    if (scan.status === 'rejected') throw scan.reason;
    // A status build without the attempts read still shows the scan.
    const items =
      attempts.status === 'fulfilled' && Array.isArray(attempts.value.items)
        ? attempts.value.items
        : null;
    return { scan: scan.value, attempts: items };
  }

  // S-17: cancel or retry, relayed to status; its 409 for a scan in the wrong state stays a 409.
  @Post('scans/:id/cancel')
  @HttpCode(HttpStatus.OK)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Cancel a scan through status (S-17)' })
  @ApiJsonResponse(200, 'The scan after the cancel', schemaRef('ScanView'))
  @ApiProblemResponses(400, 404, 409, 502, 503)
  cancel(@Param('id') raw: string): Promise<unknown> {
    return this.control(raw, 'cancel');
  }

  @Post('scans/:id/retry')
  @HttpCode(HttpStatus.OK)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Retry a Failed or Cancelled scan through status (S-17)',
  })
  @ApiJsonResponse(200, 'The scan, queued again', schemaRef('ScanView'))
  @ApiProblemResponses(400, 404, 409, 502, 503)
  retry(@Param('id') raw: string): Promise<unknown> {
    return this.control(raw, 'retry');
  }

  @Post('scans')
  @HttpCode(HttpStatus.ACCEPTED)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Queue a scan through ingest' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Relayed to ingest: a retried request with the same key returns the same scan (S-1).',
  })
  @ApiBody({ required: false, schema: schemaRef('CreateScanRequest') })
  @ApiJsonResponse(202, 'Accepted by ingest', schemaRef('ScanAccepted'))
  @ApiProblemResponses(400, 413, 415, 502, 503)
  create(@Req() req: IncomingMessage, @Body() body: unknown): Promise<unknown> {
    const length = req.headers['content-length'];
    const sent =
      req.headers['transfer-encoding'] !== undefined ||
      (length !== undefined && length !== '0');
    // The JSON parser leaves other media types unparsed; refuse them rather than guess.
    if (body === undefined && sent)
      throw new ProblemException({
        status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        title: 'Unsupported Media Type',
        type: 'unsupported-media-type',
        detail: 'Send the scan request as application/json.',
      });
    const request = body ?? {};
    if (typeof request !== 'object' || Array.isArray(request))
      throw ProblemException.badRequest(
        'invalid-request',
        'The body is a JSON object: {"target": "..."}.',
      );
    const key = req.headers['idempotency-key'];
    if (
      key !== undefined &&
      (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))
    )
      throw ProblemException.badRequest(
        'invalid-request',
        'Idempotency-Key must be 1 to 255 printable ASCII characters, sent once.',
      );
    // O-1: the page's key goes on to ingest, so a retried click never makes a second scan.
    return this.apps.json('ingest', '/scans', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      body: JSON.stringify(request),
    });
  }

  private control(raw: string, action: 'cancel' | 'retry'): Promise<unknown> {
    return this.apps.json('status', `/scans/${scanId(raw)}/${action}`, {
      method: 'POST',
    });
  }

  private gatewayPrefix(): string {
    return this.gateway.prefix;
  }
}
