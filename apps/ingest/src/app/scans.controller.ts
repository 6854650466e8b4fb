import {
  Body,
  Controller,
  Headers,
  HttpCode,
  HttpStatus,
  Inject,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ScanAcceptedResponse, ScanStatus } from '@gatehouse/shared/contracts';
import { ScanStoreReadyGuard } from '@gatehouse/scans/data-access';
import {
  ApiProblemResponses,
  ProblemException,
  schemaRef,
} from '@gatehouse/shared/http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ScanScope } from '@gatehouse/scans/target-scope';
import {
  checkCallbackScope,
  checkTargetScope,
  parseCreateScanRequest,
  parseIdempotencyKey,
} from './create-scan-request';
import { INGEST_CONFIG, IngestConfig } from './ingest.config';
import { ScanIntakeService } from './scan-intake.service';

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (
    req.headers['transfer-encoding'] !== undefined ||
    (length !== undefined && length !== '0')
  );
}

@ApiTags('scans')
@Controller('scans')
@UseGuards(ScanStoreReadyGuard)
export class ScansController {
  constructor(
    private readonly intake: ScanIntakeService,
    private readonly scope: ScanScope,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
  ) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Queue a scan (S-1..S-4, S-15)',
    description:
      'JSON or form-encoded. A target out of scope by its literal form (a private, loopback or link-local address, say) is refused with 400.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'A retry with the same key returns the same scan.',
  })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiBody({ required: false, schema: schemaRef('CreateScanRequest') })
  @ApiResponse({
    status: 202,
    description: 'Accepted and stored; Location names the scan',
    content: { 'application/json': { schema: schemaRef('ScanAccepted') } },
    headers: {
      Location: { schema: { type: 'string' } },
      'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] } },
    },
  })
  @ApiProblemResponses(400, 413, 415, 422, 503)
  async create(
    @Req() req: IncomingMessage,
    @Res({ passthrough: true }) res: ServerResponse,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<ScanAcceptedResponse> {
    // The JSON parser leaves other media types unparsed; refuse them rather than guess.
    if (body === undefined && hasBody(req)) {
      throw new ProblemException({
        status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        title: 'Unsupported Media Type',
        detail:
          'Send the scan request as application/json or application/x-www-form-urlencoded, or send no body.',
        type: 'unsupported-media-type',
      });
    }
    const parsed = parseCreateScanRequest(body);
    const kind = parsed.kind ?? this.config.DEFAULT_SCAN_KIND;
    if (kind === 'http' && parsed.target === undefined)
      throw ProblemException.badRequest(
        'invalid-request',
        'An http scan needs a "target": a host name, an IP address or an http(s) URL.',
      );
    if (parsed.target !== undefined)
      checkTargetScope(parsed.target, this.scope);
    if (parsed.callbackUrl !== undefined)
      checkCallbackScope(parsed.callbackUrl, this.scope);
    const key = parseIdempotencyKey(
      req.headers['idempotency-key'] ?? idempotencyKey,
    );
    const { scanId, replayed } = await this.intake.accept(
      { ...parsed, kind },
      key,
    );
    res.setHeader('location', `/scans/${scanId}`);
    if (replayed) res.setHeader('idempotent-replayed', 'true');
    return { scanId, status: ScanStatus.Accepted };
  }
}
