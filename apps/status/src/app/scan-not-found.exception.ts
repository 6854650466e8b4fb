import { HttpStatus } from '@nestjs/common';
import { SCAN_NOT_FOUND_STATUS } from '@gatehouse/shared/contracts';
import { ProblemException } from '@gatehouse/shared/http';

// S-10: a 404 with the numeric `status` RFC 9457 requires, and `scanStatus: "Not-Found"`, the
// state name that clients of the reference system read.
export class ScanNotFoundException extends ProblemException {
  constructor(readonly scanId: string) {
    super({
      status: HttpStatus.NOT_FOUND,
      title: 'Not Found',
      detail: `No scan has the id ${scanId}.`,
      type: 'scan-not-found',
      extensions: { scanStatus: SCAN_NOT_FOUND_STATUS, scanId },
    });
  }
}
