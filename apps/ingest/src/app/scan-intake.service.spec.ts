import type { ScanIntakeRepository } from '@gatehouse/scans/data-access';
import { ProblemException } from '@gatehouse/shared/http';
import type { PinoLogger } from '@gatehouse/shared/logging';
import { ScanIntakeService } from './scan-intake.service';

// The repository answers that the Idempotency-Key already names a scan stored with `stored`.
let stored: string | null = null;
let storedKind = 'simulated';
const scans = {
  create: jest.fn(async () => ({
    scan: { scanId: 'first', target: stored, kind: storedKind },
    created: false,
  })),
} as unknown as ScanIntakeRepository;
// One service: its counter registers once in the process-wide metrics registry.
const service = new ScanIntakeService(scans, {
  info: jest.fn(),
} as unknown as PinoLogger);

function replaying(
  target: string | null,
  kind = 'simulated',
): ScanIntakeService {
  stored = target;
  storedKind = kind;
  return service;
}

describe('ScanIntakeService: Idempotency-Key replays (S-1)', () => {
  it('replays when the stored target normalises to the request target', async () => {
    // Stored raw by an older build; the new request arrives normalised.
    await expect(
      replaying('HTTP://Example.COM:80').accept(
        { target: 'http://example.com/' },
        'k',
      ),
    ).resolves.toEqual({ scanId: 'first', replayed: true });
    await expect(
      replaying('Scan.Example').accept({ target: 'scan.example' }, 'k'),
    ).resolves.toEqual({ scanId: 'first', replayed: true });
    await expect(replaying(null).accept({}, 'k')).resolves.toEqual({
      scanId: 'first',
      replayed: true,
    });
  });

  it('refuses a replay with a different target with 422', async () => {
    for (const [stored, target] of [
      ['a.example', 'b.example'],
      [null, 'a.example'],
      ['a.example', undefined],
    ] as const) {
      const error = await replaying(stored)
        .accept({ target }, 'k')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProblemException);
      expect((error as ProblemException).getStatus()).toBe(422);
    }
  });

  it('S-4: refuses a replay with a different kind with 422', async () => {
    const error = await replaying('a.example', 'http')
      .accept({ target: 'a.example', kind: 'simulated' }, 'k')
      .catch((e: unknown) => e);
    expect((error as ProblemException).getStatus()).toBe(422);
    await expect(
      replaying('a.example', 'http').accept(
        { target: 'a.example', kind: 'http' },
        'k',
      ),
    ).resolves.toEqual({ scanId: 'first', replayed: true });
  });
});
