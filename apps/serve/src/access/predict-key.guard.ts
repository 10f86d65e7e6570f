import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { AuthFailureLimiter, bearerToken, TeamPrincipal } from '@trainyard/auth';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import type { Request } from 'express';
import { KeyCache } from './key-cache';
import { RateLimiter } from './rate-limiter';

/**
 * Predict routes: a valid key of the team (admin or predict scope), within its rate limit
 * (SERVE_RATE_LIMIT_RPS per key: other keys are unaffected), from an address that has not failed
 * authentication too often (AuthFailureLimiter, shared with the API). Model limits of a key are checked by
 * the inference service, which knows the model name.
 */
@Injectable()
export class PredictKeyGuard implements CanActivate {
  private readonly limiter: RateLimiter;

  constructor(
    private readonly keys: KeyCache,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly failures: AuthFailureLimiter,
  ) {
    this.limiter = new RateLimiter(config.serve.rateLimitPerSecond, config.serve.rateLimitBurst);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { team?: TeamPrincipal }>();
    // Failed keys count against the address, in the same (Redis-shared) counts as the API's.
    const address = req.ip ?? req.socket?.remoteAddress;
    await this.failures.check(address);
    const team = await this.keys.authenticate(bearerToken(req.headers.authorization)).catch(async (err: unknown) => {
      if (err instanceof TrainyardError && err.code === ErrorCode.UNAUTHENTICATED) await this.failures.fail(address);
      throw err;
    });
    const wait = this.limiter.take(team.key?.id ?? team.id);
    if (wait > 0) {
      throw new TrainyardError(ErrorCode.RATE_LIMITED, `rate limit of this API key exceeded; retry in ${wait} s`, { retryAfterSeconds: wait });
    }
    req.team = team;
    return true;
  }
}

/** Throws FORBIDDEN when a predict key limited to named models calls another one. */
export function assertModelAllowed(team: TeamPrincipal, model: string): void {
  const allowed = team.key?.models ?? [];
  if (allowed.length > 0 && !allowed.includes(model)) {
    throw new TrainyardError(ErrorCode.FORBIDDEN, `API key ${team.key!.name} may not call model ${model.slice(0, 64)}`);
  }
}
