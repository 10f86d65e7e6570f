import { Logger } from '@nestjs/common';
import type { GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import { AuthService, bearerToken } from '@trainyard/auth';
import { specifiedRules, validate, ValidationRule } from 'graphql';
import type { IncomingMessage } from 'node:http';

/** What graphql-ws keeps per connection (its `extra`), plus the stand-in request onConnect builds. */
export interface SubscriptionExtra {
  request: IncomingMessage;
  /** Headers and address of the connection, as an HTTP request would carry them (no principal yet). */
  trainyardRequest?: { headers: Record<string, string | undefined>; ip?: string; socket: IncomingMessage['socket'] };
}

interface ConnectContext {
  connectionParams?: Readonly<Record<string, unknown>>;
  extra: unknown;
}

/**
 * graphql-ws on the API's /graphql path. A connection carries the API key in its connectionParams
 * (`{ authorization: "Bearer <key>" }`): a missing, unknown, revoked or predict-scoped key is refused
 * at connect (close code 4403, Forbidden), counted against the address like an HTTP failure. Each
 * subscription then runs ApiKeyGuard (authenticated again, role checked) and its resolver's
 * visibility rules, exactly as a query does; documents get the same limits as over HTTP.
 */
export function subscriptionServer(auth: AuthService, limits: ValidationRule): GraphQLWsSubscriptionsConfig {
  const logger = new Logger('Subscriptions');
  const config = {
    path: '/graphql',
    validate: (schema: Parameters<typeof validate>[0], doc: Parameters<typeof validate>[1]) => validate(schema, doc, [...specifiedRules, limits]),
    onConnect: async (ctx: ConnectContext): Promise<boolean> => {
      const params = ctx.connectionParams ?? {};
      const raw = params.authorization ?? params.Authorization;
      const authorization = typeof raw === 'string' ? raw : undefined;
      const extra = ctx.extra as SubscriptionExtra;
      const ip = extra.request.socket.remoteAddress;
      try {
        const p = await auth.authenticate(bearerToken(authorization), ip);
        if (p.key.scope !== 'admin') return false;
      } catch (err) {
        logger.debug?.(`refused a subscription connection from ${ip}: ${err instanceof Error ? err.message : String(err)}`);
        return false;
      }
      extra.trainyardRequest = { headers: { authorization }, ip, socket: extra.request.socket };
      return true;
    },
  };
  // Nest's type names only some of graphql-ws's options; it passes them all to useServer (validate included).
  return config as GraphQLWsSubscriptionsConfig;
}
