export type StopReason = 'lease-lost' | 'shutdown';

// The abort reason of a run that must end without recording a result.
export class StopRun extends Error {
  // details: why the run stopped, added to the state-change log line.
  constructor(
    readonly reason: StopReason,
    readonly details: Record<string, unknown> = {},
  ) {
    super(reason);
  }
}
