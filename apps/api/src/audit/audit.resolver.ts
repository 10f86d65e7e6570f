import { UseGuards } from '@nestjs/common';
import { Args, Field, ID, Int, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentTeam, RequireRole, TeamPrincipal } from '@trainyard/auth';
import { checkInt, ErrorCode, TrainyardError } from '@trainyard/common';
import { AuditRepository } from '@trainyard/db';
import GraphQLJSON from 'graphql-type-json';

@ObjectType({ description: 'One entry of the audit log: who (which key), what, when.' })
export class AuditEvent {
  @Field(() => ID) id: string;
  @Field({ description: 'apiKey.create, apiKey.revoke, deployment.deploy, deployment.delete, experiment.delete, checkpoint.delete, dataset.delete, retention.set, member.remove, team.create, ...' }) action: string;
  @Field({ description: 'What it acted on: an id or a name.' }) target: string;
  @Field(() => ID, { nullable: true, description: 'The API key that did it; null for a command run on the server.' }) actorKeyId?: string | null;
  @Field(() => String, { nullable: true, description: "That key's prefix (never the key)." }) actorKeyPrefix?: string | null;
  @Field(() => GraphQLJSON, { nullable: true }) details?: unknown;
  @Field() createdAt: Date;
}

@Resolver(() => AuditEvent)
@UseGuards(ApiKeyGuard)
export class AuditResolver {
  constructor(private readonly audit: AuditRepository) {}

  @Query(() => [AuditEvent], {
    description: "The team's audit log, newest first. Only the owner (a course's instructor) may read it, e.g. with the owner key team:create printed.",
  })
  @RequireRole('owner')
  async auditEvents(
    @CurrentTeam() team: TeamPrincipal,
    @Args('limit', { type: () => Int, defaultValue: 100 }) limit: number,
    @Args('before', { type: () => Date, nullable: true, description: 'Events older than this (paging).' }) before?: Date,
  ): Promise<AuditEvent[]> {
    if (!team.owner) throw new TrainyardError(ErrorCode.FORBIDDEN, "only the team's owner key may read the audit log");
    checkInt('limit', limit, 1, 1000);
    const rows = await this.audit.list(team.id, limit, before ?? undefined);
    return rows.map((r) => ({
      id: r.id,
      action: r.action,
      target: r.target,
      actorKeyId: r.actorKeyId,
      actorKeyPrefix: r.actorKeyPrefix,
      details: r.details,
      createdAt: r.createdAt,
    }));
  }
}
