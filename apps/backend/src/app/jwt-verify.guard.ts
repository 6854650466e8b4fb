import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
} from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { jwtVerify } from 'jose';
import type { IncomingMessage } from 'node:http';
import { BACKEND_CONFIG, BackendConfig, jwtKey } from './backend.config';

const OPEN_PATHS = ['/health/', '/_mock/'];

// B-3: with JWT_SECRET set, every request must carry a valid HS512 x-my-jwt.
@Injectable()
export class JwtVerifyGuard implements CanActivate {
  private readonly secret: Buffer | undefined;

  constructor(@Inject(BACKEND_CONFIG) config: BackendConfig) {
    this.secret = jwtKey(config);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const secret = this.secret;
    if (secret === undefined) return true;
    const req = context.switchToHttp().getRequest<IncomingMessage>();
    if (OPEN_PATHS.some((prefix) => (req.url ?? '').startsWith(prefix)))
      return true;
    const token = req.headers['x-my-jwt'];
    if (typeof token !== 'string' || token === '')
      throw unauthorized('The x-my-jwt header is missing.');
    try {
      await jwtVerify(token, secret, { algorithms: ['HS512'] });
    } catch {
      throw unauthorized('The x-my-jwt token is not valid.');
    }
    return true;
  }
}

function unauthorized(detail: string): ProblemException {
  return new ProblemException({
    status: 401,
    title: 'Unauthorized',
    type: 'invalid-jwt',
    detail,
  });
}
