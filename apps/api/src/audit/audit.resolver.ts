import { UseGuards } from '@nestjs/common';
import { Args, Field, ID, InputType, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { Connection, ConnectionType, keysetPage, NEWEST_FIRST, PageArgs, Key } from '../graphql/connection';
import { ApiKeyGuard, CurrentTeam, RequireRole, TeamPrincipal } from '@trainyard/auth';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { AuditRepository } from '@trainyard/db';
import GraphQLJSON from 'graphql-type-json';

@ObjectType({ description: 'One entry of the audit log: who (which key), what, when.' })
export class AuditEvent {
  @Field(() => ID) id: string;
  @Field({ description: 'apiKey.create, apiKey.revoke, deployment.deploy, deployment.delete, team.create, ...' }) action: string;
  @Field({ description: 'What it acted on: an id or a name.' }) target: string;
  @Field(() => ID, { nullable: true, description: 'The API key that did it; null for a command run on the server.' }) actorKeyId?: string | null;
  @Field(() => String, { nullable: true, description: "That key's prefix (never the key)." }) actorKeyPrefix?: string | null;
  @Field(() => GraphQLJSON, { nullable: true }) details?: unknown;
  @Field() createdAt: Date;
}

@InputType({ description: 'Audit events matching every field given.' })
export class AuditEventFilter {
  @Field({ nullable: true, description: 'An action (deployment.deploy), or a prefix ending in a dot (deployment.).' }) action?: string;
}

export const AuditEventConnection = ConnectionType(AuditEvent);

@Resolver(() => AuditEvent)
@UseGuards(ApiKeyGuard)
export class AuditResolver {
  constructor(private readonly audit: AuditRepository) {}

  @Query(() => AuditEventConnection, {
    description: "The team's audit log, newest first (createdAt, then id). Only the owner (a course's instructor) may read it, e.g. with the owner key team:create printed.",
  })
  @RequireRole('owner')
  async auditEvents(
    @CurrentTeam() team: TeamPrincipal,
    @Args() page: PageArgs,
    @Args('filter', { type: () => AuditEventFilter, nullable: true }) filter?: AuditEventFilter,
  ): Promise<Connection<AuditEvent>> {
    if (!team.owner) throw new TrainyardError(ErrorCode.FORBIDDEN, "only the team's owner key may read the audit log");
    const f = { action: filter?.action };
    return keysetPage(
      {
        list: 'auditEvents',
        ...NEWEST_FIRST,
        fetch: (after: Key | undefined, take: number) => this.audit.page(team.id, f, NEWEST_FIRST.after(after), take),
        count: () => this.audit.count(team.id, f),
      },
      page,
      toAuditEvent,
    );
  }
}

type AuditRow = Awaited<ReturnType<AuditRepository['page']>>[number];

function toAuditEvent(r: AuditRow): AuditEvent {
  return {
    id: r.id,
    action: r.action,
    target: r.target,
    actorKeyId: r.actorKeyId,
    actorKeyPrefix: r.actorKeyPrefix,
    details: r.details,
    createdAt: r.createdAt,
  };
}
