import { Controller, Get, HttpStatus, Param, Query } from '@nestjs/common';
import {
  ScanReadRepository,
  ScanSummary,
  toScanView,
} from '@gatehouse/scans/data-access';
import { ScanListResponse, ScanView } from '@gatehouse/shared/contracts';
import { ProblemException } from '@gatehouse/shared/http';
import { parseListScansQuery } from './list-scans-query';
import { ScanNotFoundException } from './scan-not-found.exception';

const UUID_V4 =
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

// S-10, S-11: read-only views of the scans.
@Controller('scans')
export class ScansController {
  constructor(private readonly scans: ScanReadRepository) {}

  @Get()
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
  summary(): Promise<ScanSummary> {
    return this.scans.summary();
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<ScanView> {
    if (!UUID_V4.test(id)) {
      throw new ProblemException({
        status: HttpStatus.BAD_REQUEST,
        title: 'Bad Request',
        detail: 'A scan id is a UUID v4.',
        type: 'invalid-scan-id',
      });
    }
    const scan = await this.scans.findById(id.toLowerCase());
    if (!scan) {
      throw new ScanNotFoundException(id);
    }
    return toScanView(scan);
  }
}
