import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { proxiedRequest } from './request-context';

// Pipelined requests on one connection are decided in arrival order (G-1): a request goes on
// once the one before it is decided, that is sent on or answered. A request nobody is ahead
// of, as on plain keep-alive traffic, goes on at once, without a promise. That an error
// answer ahead of it closed the connection is checked when it is sent (ProxyController).
@Injectable()
export class ConnectionOrderGuard implements CanActivate {
  canActivate(execution: ExecutionContext): boolean | Promise<boolean> {
    const previous = proxiedRequest(execution).place?.previous;
    if (previous === undefined || previous.decided) return true;
    return previous.wait().then(inTurn);
  }
}

function inTurn(): boolean {
  return true;
}
