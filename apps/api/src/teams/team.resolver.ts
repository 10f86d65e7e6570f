import { UseGuards } from '@nestjs/common';
import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { actorOf, ApiKeyGuard, AuthService, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { CreatedApiKey, Team } from '../graphql/types';

@Resolver(() => Team)
@UseGuards(ApiKeyGuard)
export class TeamResolver {
  constructor(private readonly auth: AuthService) {}

  @Query(() => Team, { description: 'The team whose API key made this call.' })
  me(@CurrentTeam() team: TeamPrincipal): Team {
    return { id: team.id, name: team.name };
  }

  @Mutation(() => CreatedApiKey, { description: 'A new key for this team. The key is returned once.' })
  createApiKey(@CurrentTeam() team: TeamPrincipal, @Args('name') name: string) {
    return this.auth.createApiKey(team.id, name, actorOf(team));
  }

  @Mutation(() => Boolean, { description: 'Revokes a key of this team; true if it was active.' })
  revokeApiKey(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return this.auth.revokeApiKey(team.id, id, actorOf(team));
  }
}
