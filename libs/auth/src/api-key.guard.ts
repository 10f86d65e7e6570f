import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Request } from 'express';
import { bearerToken } from './api-key';
import { AuthService, TeamPrincipal } from './auth.service';

type AuthedRequest = Request & { team?: TeamPrincipal };

function requestOf(context: ExecutionContext): AuthedRequest {
  if (context.getType<string>() === 'graphql') {
    return GqlExecutionContext.create(context).getContext<{ req: AuthedRequest }>().req;
  }
  return context.switchToHttp().getRequest<AuthedRequest>();
}

/**
 * Requires a valid team API key with admin scope (predict-scoped keys are for the predict routes
 * only); puts the team on the request for @CurrentTeam().
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = requestOf(context);
    const team = await this.auth.authenticate(bearerToken(req.headers.authorization), req.ip ?? req.socket?.remoteAddress);
    if (team.key && team.key.scope !== 'admin') {
      throw new TrainyardError(ErrorCode.FORBIDDEN, `API key ${team.key.name} has ${team.key.scope} scope: it can call the predict routes only`);
    }
    req.team = team;
    return true;
  }
}

/** The authenticated team of this request (use behind ApiKeyGuard). */
export const CurrentTeam = createParamDecorator((_: unknown, context: ExecutionContext): TeamPrincipal => {
  const team = requestOf(context).team;
  if (!team) throw new Error('CurrentTeam used on a route without ApiKeyGuard');
  return team;
});
