import { Injectable, UseGuards, UseInterceptors } from '@nestjs/common';
import { AcceptAnyQuery } from '@gatehouse/shared/http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HedgedRouteHandler } from '../hedging/hedged-route.handler';
import { MaliciousRequestGuard } from '../inspection/malicious-request.guard';
import { ConnectionOrderGuard } from '../request/connection-order.guard';
import { RequestBodyGuard } from '../request/request-body.guard';
import { contextOf } from '../request/request-context';
import { ClientThrottlerGuard } from '../traffic/client-throttler.guard';
import { DuplicateDelayInterceptor } from '../traffic/duplicate-delay.interceptor';
import { InFlightLimitInterceptor } from '../traffic/in-flight-limit.interceptor';
import { LatestRequestGuard } from '../traffic/latest-request.guard';
import { WebSocketTunnels } from '../websocket/websocket-tunnel.service';
import { ProxyService } from './proxy.service';

// The one handler for proxied traffic (G-1..G-9). ProxyPipeline calls it through Nest's guard
// and interceptor consumers, outside the router (docs/adr/0001-hot-path-http-client.md), in the
// order docs/adr/0005 fixes:
//   guards: the rate limit, the body, the client's latest request (before inspection, so a
//           blocked request still counts as one in between), the malicious-payload check,
//           and the connection's order (pipelined requests go on in arrival order);
//   interceptors: the duplicate hold, then the upstream slot.
// So an upstream slot is taken only after the body, the inspection and any hold. Each
// interceptor is a level of Nest's interceptor chain on every request, so there are two. App-wide
// guards run first, as on any handler: the query guard lets proxied requests through with
// whatever query the upstream takes.
@Injectable()
@AcceptAnyQuery()
@UseGuards(
  ClientThrottlerGuard,
  RequestBodyGuard,
  LatestRequestGuard,
  MaliciousRequestGuard,
  ConnectionOrderGuard,
)
@UseInterceptors(DuplicateDelayInterceptor, InFlightLimitInterceptor)
export class ProxyController {
  constructor(
    private readonly proxy: ProxyService,
    private readonly hedging: HedgedRouteHandler,
    private readonly tunnels: WebSocketTunnels,
  ) {}

  // Resolves when the exchange with the upstream has ended; undefined when nothing is sent.
  forward(
    _req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> | undefined {
    const context = contextOf(res)!;
    // Decided: a request pipelined behind this one may go on.
    context.place?.turn.decide();
    // The client has gone: nothing is sent upstream for it.
    if (context.abandoned) return undefined;
    // An error answer ahead of it closed the connection: nothing behind that is forwarded.
    if (context.place?.behindCut) {
      context.decision = 'rejected';
      context.error = 'connection-closed';
      res.destroy();
      return undefined;
    }
    const upstream = context.upstream!;
    if (context.upgradeHead !== undefined)
      return this.tunnels.open(context, upstream, context.upgradeHead);
    if (context.hedgeDeadlineMs !== undefined)
      return this.hedging.serve(context, context.hedgeDeadlineMs);
    return this.proxy.forward(context, upstream);
  }
}
