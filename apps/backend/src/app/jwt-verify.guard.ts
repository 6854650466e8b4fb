import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
} from '@nestjs/common';
import { ProblemException } from '@gatehouse/shared/http';
import { errors, jwtVerify, JWTPayload } from 'jose';
import type { IncomingMessage } from 'node:http';
import { BACKEND_CONFIG, BackendConfig, jwtKey } from './backend.config';
import { JwtReplayCache } from './jwt-replay.cache';

const OPEN_PATHS = ['/health/', '/_mock/'];
// Clocks of the gateway and the backend may differ by this much, for iat and exp.
export const CLOCK_SKEW_S = 5;
// The gateway's jti is a UUID; a longer one is refused rather than remembered.
const MAX_JTI_LENGTH = 128;

// B-3: with JWT_SECRET set, every request must carry a valid HS512 x-my-jwt: signed with the
// secret, with iat, exp and jti, issued no later than now, not expired, living no longer than
// JWT_TTL_S, and whose jti has not been seen before while it is live (a replay).
@Injectable()
export class JwtVerifyGuard implements CanActivate {
  private readonly secret: Buffer | undefined;
  private readonly maxTtlS: number;

  constructor(
    @Inject(BACKEND_CONFIG) config: BackendConfig,
    private readonly replays: JwtReplayCache,
  ) {
    this.secret = jwtKey(config);
    this.maxTtlS = config.JWT_TTL_S;
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
    const claims = await this.verify(token, secret);
    // Checked last: only a token that is otherwise valid uses up its jti.
    if (!this.replays.firstUse(claims.jti, (claims.exp + CLOCK_SKEW_S) * 1000))
      throw unauthorized('The x-my-jwt token has already been used.');
    return true;
  }

  private async verify(
    token: string,
    secret: Buffer,
  ): Promise<{ exp: number; jti: string }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, secret, {
        algorithms: ['HS512'],
        requiredClaims: ['iat', 'exp', 'jti'],
        clockTolerance: CLOCK_SKEW_S,
      }));
    } catch (error) {
      throw unauthorized(
        error instanceof errors.JWTExpired
          ? 'The x-my-jwt token has expired.'
          : 'The x-my-jwt token is not valid.',
      );
    }
    // jose has checked the signature, that iat and exp are numbers, and exp against the clock.
    const { iat, exp, jti } = payload;
    if (
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      typeof jti !== 'string' ||
      jti === '' ||
      jti.length > MAX_JTI_LENGTH ||
      iat > Date.now() / 1000 + CLOCK_SKEW_S
    )
      throw unauthorized('The x-my-jwt token is not valid.');
    if (exp <= iat || exp - iat > this.maxTtlS)
      throw unauthorized(
        `The x-my-jwt token must expire after its iat and within ${this.maxTtlS} s of it.`,
      );
    return { exp, jti };
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
