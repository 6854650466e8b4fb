import type { Socket } from 'node:net';

// Requests on one connection in arrival order. Pipelined requests are decided in that order,
// and none after an error answer is forwarded: that answer closes the connection.
export interface ConnectionOrder {
  next: number;
  cutAfter: number;
  last: Turn | undefined;
}

// One request's place in its connection's order. A promise is made only when a later request
// has to wait for this one, which plain keep-alive traffic never does.
export class Turn {
  decided = false;
  private waiting: Promise<void> | undefined;
  private release: (() => void) | undefined;

  decide(): void {
    if (this.decided) return;
    this.decided = true;
    this.release?.();
  }

  wait(): Promise<void> {
    return (this.waiting ??= new Promise<void>((resolve) => {
      if (this.decided) resolve();
      else this.release = resolve;
    }));
  }
}

// Where a request stands in its connection's order.
export class Place {
  readonly seq: number;
  readonly previous: Turn | undefined;
  readonly turn = new Turn();

  constructor(private readonly order: ConnectionOrder) {
    this.seq = order.next++;
    this.previous = order.last;
    order.last = this.turn;
  }

  // An error answer closes the connection: nothing queued behind this request is forwarded.
  cut(): void {
    this.order.cutAfter = Math.min(this.order.cutAfter, this.seq);
    this.turn.decide();
  }

  // True once an earlier request on the connection was answered with an error.
  get behindCut(): boolean {
    return this.seq > this.order.cutAfter;
  }
}

const connections = new WeakMap<Socket, ConnectionOrder>();

export function placeOn(socket: Socket): Place {
  let order = connections.get(socket);
  if (order === undefined) {
    order = { next: 0, cutAfter: Infinity, last: undefined };
    connections.set(socket, order);
  }
  return new Place(order);
}
