import {
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
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
  constructor(private readonly scans: ScanReadRepository) {}

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

function assertScanId(id: string): void {
  if (!isScanId(id))
    throw ProblemException.badRequest(
      'invalid-scan-id',
      'A scan id is a UUID v4.',
    );
}
