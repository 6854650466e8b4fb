import {
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  ScanControlOutcome,
  ScanControlRepository,
  ScanReadRepository,
  ScanStoreReadyGuard,
  toScanAttemptView,
  toScanView,
} from '@gatehouse/scans/data-access';
import {
  isScanId,
  SCAN_STATUSES,
  ScanAttemptListResponse,
  ScanListResponse,
  ScanSummaryRepairResponse,
  ScanSummaryResponse,
  ScanView,
} from '@gatehouse/shared/contracts';
import {
  ApiJsonResponse,
  ApiProblemResponses,
  ProblemException,
  schemaRef,
} from '@gatehouse/shared/http';
import { parseListScansQuery } from './list-scans-query';
import { ScanNotFoundException } from './scan-not-found.exception';

// S-10, S-11: read-only views of the scans.
@ApiTags('scans')
@Controller('scans')
@UseGuards(ScanStoreReadyGuard)
export class ScansController {
  constructor(
    private readonly scans: ScanReadRepository,
    private readonly control: ScanControlRepository,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List and find scans, newest first (S-11, S-18)' })
  @ApiQuery({ name: 'status', required: false, enum: SCAN_STATUSES })
  @ApiQuery({
    name: 'target',
    required: false,
    type: String,
    description: 'Scans whose stored target starts with this',
  })
  @ApiQuery({
    name: 'createdFrom',
    required: false,
    type: String,
    description: 'RFC 3339; createdAt >= createdFrom',
  })
  @ApiQuery({
    name: 'createdTo',
    required: false,
    type: String,
    description: 'RFC 3339; createdAt < createdTo',
  })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiJsonResponse(200, 'One page of scans', schemaRef('ScanList'))
  @ApiProblemResponses(400, 503)
  async list(
    @Query() query: Record<string, unknown>,
  ): Promise<ScanListResponse> {
    const { items, nextCursor } = await this.scans.list(
      parseListScansQuery(query),
    );
    return { items: items.map(toScanView), nextCursor };
  }

  // Declared before :id so that "summary" is never read as a scan id.
  @Get('summary')
  @ApiOperation({ summary: 'Scan counts by status (S-11)' })
  @ApiJsonResponse(200, 'Counts by status', schemaRef('ScanSummary'))
  @ApiProblemResponses(503)
  summary(): Promise<ScanSummaryResponse> {
    return this.scans.summary();
  }

  // S-11: the documented repair, on demand. Processors also run it when they fall idle.
  @Post('summary/repair')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Recount the summary counters from the scans (S-11)',
    description:
      'Reads every scan once. Exact when no scan changes state while it runs.',
  })
  @ApiJsonResponse(
    200,
    'The counters before and the recount after',
    schemaRef('ScanSummaryRepair'),
  )
  @ApiProblemResponses(503)
  repairSummary(): Promise<ScanSummaryRepairResponse> {
    return this.scans.repairSummary();
  }

  @Get(':id')
  @ApiOperation({ summary: 'One scan (S-10)' })
  @ApiJsonResponse(200, 'The scan', schemaRef('ScanView'))
  @ApiProblemResponses(400, 404, 503)
  async get(@Param('id') id: string): Promise<ScanView> {
    assertScanId(id);
    const scan = await this.scans.findById(id.toLowerCase());
    if (!scan) {
      throw new ScanNotFoundException(id);
    }
    return toScanView(scan);
  }

  // S-17: a queued scan is Cancelled at once (200); a running one is stopped by its worker
  // within one lease renewal (202, with cancelRequestedAt). A finished scan is 409.
  @Post(':id/cancel')
  @ApiOperation({
    summary: 'Cancel a scan (S-17)',
    description:
      '200 with the Cancelled scan when it was waiting (or was cancelled before). 202 with the scan when it is running: its worker aborts the job within one lease renewal and keeps the partial result. 409 when it is Complete or Failed.',
  })
  @ApiJsonResponse(200, 'The scan, Cancelled', schemaRef('ScanView'))
  @ApiJsonResponse(
    202,
    'The running scan; its worker stops it',
    schemaRef('ScanView'),
  )
  @ApiProblemResponses(400, 404, 409, 503)
  async cancel(
    @Param('id') id: string,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<ScanView> {
    assertScanId(id);
    const done = found(id, await this.control.cancel(id.toLowerCase()));
    if (done.outcome === 'refused')
      throw stateConflict(
        done,
        `Scan ${done.scan.scanId} is ${done.scan.status}: only a waiting or running scan can be cancelled.`,
      );
    res.statusCode =
      done.outcome === 'requested' ? HttpStatus.ACCEPTED : HttpStatus.OK;
    return toScanView(done.scan);
  }

  // S-17: a Failed or Cancelled scan is queued again, with the next attempt number.
  @Post(':id/retry')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Queue a Failed or Cancelled scan again (S-17)',
    description:
      'The scan is Accepted again; its next attempt is numbered on from the last, with MAX_ATTEMPTS of its own. 409 for any other state.',
  })
  @ApiJsonResponse(200, 'The scan, Accepted again', schemaRef('ScanView'))
  @ApiProblemResponses(400, 404, 409, 503)
  async retry(@Param('id') id: string): Promise<ScanView> {
    assertScanId(id);
    const done = found(id, await this.control.retry(id.toLowerCase()));
    if (done.outcome !== 'queued')
      throw stateConflict(
        done,
        `Scan ${done.scan.scanId} is ${done.scan.status}: only a Failed or Cancelled scan can be retried.`,
      );
    return toScanView(done.scan);
  }

  // O-1: the scan's attempt log (claims and ends, with workers and leases), oldest first.
  @Get(':id/attempts')
  @ApiOperation({ summary: "A scan's attempt history (O-1)" })
  @ApiJsonResponse(200, 'Attempt log entries', schemaRef('ScanAttemptList'))
  @ApiProblemResponses(400, 404, 503)
  async attempts(@Param('id') id: string): Promise<ScanAttemptListResponse> {
    assertScanId(id);
    const scanId = id.toLowerCase();
    const scan = await this.scans.findById(scanId);
    if (!scan) throw new ScanNotFoundException(id);
    const history = await this.scans.history(scanId);
    return { scanId, items: history.map(toScanAttemptView) };
  }
}

function found(
  id: string,
  outcome: ScanControlOutcome,
): NonNullable<ScanControlOutcome> {
  if (!outcome) throw new ScanNotFoundException(id);
  return outcome;
}

function stateConflict(
  done: NonNullable<ScanControlOutcome>,
  detail: string,
): ProblemException {
  return new ProblemException({
    status: HttpStatus.CONFLICT,
    title: 'Conflict',
    detail,
    type: 'scan-state-conflict',
    extensions: { scanId: done.scan.scanId, scanStatus: done.scan.status },
  });
}

function assertScanId(id: string): void {
  if (!isScanId(id))
    throw ProblemException.badRequest(
      'invalid-scan-id',
      'A scan id is a UUID v4.',
    );
}
