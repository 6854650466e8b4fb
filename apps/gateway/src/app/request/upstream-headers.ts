import { Injectable } from '@nestjs/common';
import { JwtSigner } from '../jwt/jwt-signer.service';
import { upstreamRequestHeaders } from './forward-headers';
import type { RequestContext } from './request-context';
import type { UpstreamTarget } from './upstream-target';

// The one place a request's upstream headers are built, the JWT included (G-8): forwarding,
// tunnels and every hedged copy call it, so each gets its own token.
@Injectable()
export class UpstreamHeaders {
  constructor(private readonly jwt: JwtSigner) {}

  for(context: RequestContext, target: UpstreamTarget): string[] {
    const { req } = context;
    return upstreamRequestHeaders(
      req,
      {
        upstreamHost: target.host,
        requestId: context.requestId,
        peer: req.socket.remoteAddress ?? 'unknown',
        extra: target.signed ? this.jwt.header() : undefined,
      },
      context.headerNames,
    );
  }
}
