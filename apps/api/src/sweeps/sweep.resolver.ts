import { UseGuards } from '@nestjs/common';
import { Args, Field, ID, InputType, Mutation, Query, Resolver } from '@nestjs/graphql';
import { PageArgs } from '../graphql/connection';
import { ApiKeyGuard, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { SweepService } from './sweep.service';
import { CreateSweepInput, Sweep, SweepConnection } from './sweep.types';

@InputType({ description: 'Sweeps matching every field given.' })
export class SweepFilter {
  @Field({ nullable: true, description: 'Names starting with this (case-sensitive).' }) namePrefix?: string;
}

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

  @Query(() => SweepConnection, { description: 'Newest first (createdAt, then id).' })
  sweeps(@CurrentTeam() team: TeamPrincipal, @Args() page: PageArgs, @Args('filter', { type: () => SweepFilter, nullable: true }) filter?: SweepFilter) {
    return this.service.page(team.id, { namePrefix: filter?.namePrefix }, page);
  }
}
