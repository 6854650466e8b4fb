import type { Logger } from '@nestjs/common';

// Logs a dependency going away once per outage, and its return once, never once per request.
export class OutageNotice {
  private down = false;

  constructor(
    private readonly logger: Logger,
    private readonly dependency: string,
  ) {}

  get isDown(): boolean {
    return this.down;
  }

  failed(error: unknown): void {
    if (this.down) return;
    this.down = true;
    this.logger.warn(
      { err: error, dependency: this.dependency },
      `${this.dependency} unavailable: failing open until it is back`,
    );
  }

  recovered(): void {
    if (!this.down) return;
    this.down = false;
    this.logger.log(
      { dependency: this.dependency },
      `${this.dependency} available again`,
    );
  }
}
