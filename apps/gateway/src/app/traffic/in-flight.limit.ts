import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';

// G-6: sheds load past MAX_IN_FLIGHT forwarded requests instead of queueing without bound.
@Injectable()
export class InFlightLimit {
  private inFlight = 0;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  get current(): number {
    return this.inFlight;
  }

  // Takes a slot or throws 503; the returned function gives the slot back exactly once.
  acquire(): () => void {
    if (this.inFlight >= this.config.MAX_IN_FLIGHT) {
      throw new ProblemException({
        status: 503,
        title: 'Service Unavailable',
        type: 'overloaded',
        detail: `The gateway is at its limit of ${this.config.MAX_IN_FLIGHT} requests in flight.`,
        headers: { 'retry-after': '1' },
      });
    }
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
    };
  }
}
