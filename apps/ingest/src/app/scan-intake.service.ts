import { HttpStatus, Injectable } from '@nestjs/common';
import { ScanIntakeRepository } from '@gatehouse/scans/data-access';
import { CreateScanRequest, ScanStatus } from '@gatehouse/shared/contracts';
import { ProblemException } from '@gatehouse/shared/http';
import { InjectPinoLogger, PinoLogger } from '@gatehouse/shared/logging';
import { Counter } from 'prom-client';
import { normaliseTarget } from './create-scan-request';

// S-1: a request's target is already normalised; a stored one may predate normalisation, so it
// is normalised too before an Idempotency-Key replay is compared with it.
function sameTarget(
  stored: string | null,
  requested: string | undefined,
): boolean {
  if (stored === null || requested === undefined)
    return stored === (requested ?? null);
  return (normaliseTarget(stored) ?? stored) === requested;
}

export interface AcceptedScan {
  scanId: string;
  replayed: boolean;
}

// S-1..S-3: turns a validated request into a stored Accepted scan.
@Injectable()
export class ScanIntakeService {
  private readonly accepted = new Counter({
    name: 'scans_accepted_total',
    help: 'POST /scans answered 202, by whether an Idempotency-Key replayed an earlier scan',
    labelNames: ['replayed'] as const,
  });

  constructor(
    private readonly scans: ScanIntakeRepository,
    @InjectPinoLogger(ScanIntakeService.name)
    private readonly logger: PinoLogger,
  ) {}

  async accept(
    request: CreateScanRequest,
    idempotencyKey: string | undefined,
  ): Promise<AcceptedScan> {
    // The repository resolves only after the write is acknowledged (w: majority), so a 202 is never
    // sent for a scan that could be lost; any database failure surfaces as 503 instead.
    const kind = request.kind ?? 'simulated';
    const { scan, created } = await this.scans.create({
      target: request.target,
      kind,
      callbackUrl: request.callbackUrl,
      idempotencyKey,
    });
    if (
      !created &&
      (!sameTarget(scan.target, request.target) ||
        scan.kind !== kind ||
        (scan.callbackUrl ?? undefined) !== request.callbackUrl)
    ) {
      throw new ProblemException({
        status: HttpStatus.UNPROCESSABLE_ENTITY,
        title: 'Idempotency-Key reused',
        detail:
          'This Idempotency-Key was already used for a request with a different body.',
        type: 'idempotency-key-reused',
      });
    }
    this.accepted.inc({ replayed: String(!created) });
    if (created) {
      this.logger.info(
        {
          event: 'scan.accepted',
          scanId: scan.scanId,
          status: ScanStatus.Accepted,
          attempt: 0,
          kind: scan.kind,
          target: scan.target,
        },
        'scan accepted',
      );
    }
    return { scanId: scan.scanId, replayed: !created };
  }
}
