import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { proxiedRequest } from '../request/request-context';
import { MaliciousPayloadInspector } from './malicious-payload.inspector';

// G-2: a body that carries the malicious flag is refused with 401; one that cannot be
// inspected with 400, 413 or 415. The inspector decides and throws the problem; a request
// that passes goes on. Synchronous, so Nest's guard consumer adds no promise for it.
@Injectable()
export class MaliciousRequestGuard implements CanActivate {
  constructor(private readonly inspector: MaliciousPayloadInspector) {}

  canActivate(execution: ExecutionContext): boolean {
    this.inspector.check(proxiedRequest(execution));
    return true;
  }
}
