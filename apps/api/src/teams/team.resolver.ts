import { UseGuards } from '@nestjs/common';
import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { actorOf, ApiKeyGuard, ApiKeyScope, AuthService, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { CreatedApiKey, Team } from '../graphql/types';

@Resolver(() => Team)
@UseGuards(ApiKeyGuard)
export class TeamResolver {
  constructor(private readonly auth: AuthService) {}

  @Query(() => Team, { description: 'The team whose API key made this call.' })
  me(@CurrentTeam() team: TeamPrincipal): Team {
    return { id: team.id, name: team.name };
  }

  @Mutation(() => CreatedApiKey, {
    description: 'A new key for this team, returned once. scope "predict" makes a key for an application: predict routes only, and with models only those models.',
  })
  createApiKey(
    @CurrentTeam() team: TeamPrincipal,
    @Args('name') name: string,
    @Args('scope', { nullable: true, defaultValue: 'admin', description: 'admin or predict' }) scope: string,
    @Args('models', { type: () => [String], nullable: true }) models?: string[],
  ) {
    return this.auth.createApiKey(team.id, name, { scope: scope as ApiKeyScope, models: models ?? [] }, actorOf(team));
  }

  @Mutation(() => Boolean, { description: 'Revokes a key of this team; true if it was active.' })
  revokeApiKey(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return this.auth.revokeApiKey(team.id, id, actorOf(team));
  }
}
