import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { GATEWAY_CONFIG, GatewayConfig } from '../gateway.config';

// G-6: a client may have at most MAX_PENDING_BODIES requests whose body is still arriving,
// so slow senders are bounded on their own and never take an upstream slot.
@Injectable()
export class PendingBodyLimit {
  private readonly pending = new Map<string, number>();
  private total = 0;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  // Bodies still arriving, over every client.
  get current(): number {
    return this.total;
  }

  // Counts one more pending body for the client, or throws 429; the returned function
  // gives it back exactly once.
  acquire(client: string): () => void {
    const current = this.pending.get(client) ?? 0;
    if (current >= this.config.MAX_PENDING_BODIES) {
      throw new ProblemException({
        status: 429,
        title: 'Too Many Requests',
        type: 'too-many-pending-bodies',
        detail: `At most ${this.config.MAX_PENDING_BODIES} request bodies per client may be arriving at once.`,
        headers: { 'retry-after': '1' },
      });
    }
    this.pending.set(client, current + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.pending.get(client) ?? 1) - 1;
      if (left === 0) this.pending.delete(client);
      else this.pending.set(client, left);
    };
  }
}
