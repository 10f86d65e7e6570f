import { UseGuards } from '@nestjs/common';
import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { SweepService } from './sweep.service';
import { CreateSweepInput, Sweep } from './sweep.types';

@Resolver(() => Sweep)
@UseGuards(ApiKeyGuard)
export class SweepResolver {
  constructor(private readonly service: SweepService) {}

  @Mutation(() => Sweep, { description: 'Plans the trials (grid or random, within the budget), creates a child experiment per trial and queues them.' })
  createSweep(@CurrentTeam() team: TeamPrincipal, @Args('input') input: CreateSweepInput) {
    return this.service.create(team.id, input);
  }

  @Query(() => Sweep, { description: 'A sweep with its table of trials and the best one so far.' })
  sweep(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return this.service.get(team.id, id);
  }

  @Query(() => [Sweep])
  sweeps(@CurrentTeam() team: TeamPrincipal) {
    return this.service.list(team.id);
  }
}
