import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import { ErrorCode, forbidden, TrainyardError } from '@trainyard/common';
import type { Request } from 'express';
import { bearerToken } from './api-key';
import { AuthService, Principal, TeamPrincipal } from './auth.service';
import { allows, DEFAULT_MIN_ROLE, MinRole, PUBLIC_KEY, ROLE_KEY } from './roles';

type AuthedRequest = Request & { principal?: Principal; team?: TeamPrincipal };

function requestOf(context: ExecutionContext): AuthedRequest {
  if (context.getType<string>() === 'graphql') {
    return GqlExecutionContext.create(context).getContext<{ req: AuthedRequest }>().req;
  }
  return context.switchToHttp().getRequest<AuthedRequest>();
}

function operationOf(context: ExecutionContext): string {
  if (context.getType<string>() === 'graphql') return GqlExecutionContext.create(context).getInfo<{ fieldName: string }>().fieldName;
  const req = context.switchToHttp().getRequest<Request>();
  return `${req.method} ${req.route?.path ?? req.path}`;
}

/**
 * Authentication and authorization in one place. The API registers it globally (every GraphQL
 * operation and REST route), and resolvers may still list it in @UseGuards: a request is
 * authenticated once (failures count against the address: AuthFailureLimiter), predict-scoped keys
 * are refused (they call only serve's predict routes, which are @Public() here and checked by serve's
 * PredictKeyGuard), then each operation's minimum role (@RequireRole, default 'member') is checked.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = requestOf(context);
    req.principal ??= await this.auth.authenticate(bearerToken(req.headers.authorization), req.ip ?? req.socket?.remoteAddress);
    const p = req.principal;
    if (p.key.scope !== 'admin') {
      throw new TrainyardError(ErrorCode.FORBIDDEN, `API key ${p.key.name} has ${p.key.scope} scope: it can call the predict routes only`);
    }
    req.team = p.team;
    const min = this.reflector.getAllAndOverride<MinRole>(ROLE_KEY, targets) ?? DEFAULT_MIN_ROLE;
    if (!allows(p.role, min)) {
      throw forbidden(`${operationOf(context)} needs the ${min} role or higher; this key's user is ${p.role.toLowerCase()}`, {
        required: min,
        role: p.role,
      });
    }
    return true;
  }
}

/** The authenticated team of this request (use behind ApiKeyGuard). */
export const CurrentTeam = createParamDecorator((_: unknown, context: ExecutionContext): TeamPrincipal => {
  const team = requestOf(context).team;
  if (!team) throw new Error('CurrentTeam used on a route without ApiKeyGuard');
  return team;
});

/** The authenticated user, team and role of this request (use behind ApiKeyGuard). */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = requestOf(context).principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without ApiKeyGuard');
  return principal;
});
