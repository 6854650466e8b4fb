import { HttpStatus } from '@nestjs/common';
import { SCAN_NOT_FOUND_STATUS } from '@gatehouse/shared/contracts';
import { ProblemException } from '@gatehouse/shared/http';

// S-10: a 404 whose body says "status": "Not-Found", the state name reference clients read.
// The HTTP status stays in "httpStatus" for problem+json clients.
export class ScanNotFoundException extends ProblemException {
  constructor(readonly scanId: string) {
    super({
      status: HttpStatus.NOT_FOUND,
      title: 'Not Found',
      detail: `No scan has the id ${scanId}.`,
      type: 'scan-not-found',
      extensions: {
        status: SCAN_NOT_FOUND_STATUS,
        httpStatus: HttpStatus.NOT_FOUND,
        scanId,
      },
    });
  }
}
