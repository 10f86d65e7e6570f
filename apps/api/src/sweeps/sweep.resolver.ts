import { UseGuards } from '@nestjs/common';
import { Args, Field, ID, InputType, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole, VisibilityService } from '@trainyard/auth';
import { PageArgs } from '../graphql/connection';
import { CourseRuns } from '../courses/course-runs.service';
import { SweepService } from './sweep.service';
import { CreateSweepInput, Sweep, SweepConnection } from './sweep.types';

@InputType({ description: 'Sweeps matching every field given.' })
export class SweepFilter {
  @Field({ nullable: true, description: 'Names starting with this (case-sensitive).' }) namePrefix?: string;
}

/**
 * Sweeps act as their creator: the trials are the creator's experiments, so in a course a student's
 * sweep is theirs (others do not see it), counts against their runs-in-flight limit (all trials at
 * once) and spends their compute budget.
 */
@Resolver(() => Sweep)
@UseGuards(ApiKeyGuard)
export class SweepResolver {
  constructor(
    private readonly service: SweepService,
    private readonly visibility: VisibilityService,
    private readonly courseRuns: CourseRuns,
  ) {}

  @Mutation(() => Sweep, { description: 'Plans the trials (grid or random, within the budget), creates a child experiment per trial and queues them.' })
  @RequireRole('member')
  createSweep(@CurrentPrincipal() p: Principal, @Args('input') input: CreateSweepInput) {
    return this.service.create(p.team.id, input, { userId: p.user.id, guard: (runs) => this.courseRuns.guard(p, runs) });
  }

  @Query(() => Sweep, { description: 'A sweep with its table of trials and the best one so far.' })
  @RequireRole('member')
  async sweep(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    return this.service.get(p.team.id, id, await this.visibility.ownerIds(p));
  }

  @Query(() => SweepConnection, { description: 'Newest first (createdAt, then id). In a course, students get their own.' })
  @RequireRole('member')
  async sweeps(@CurrentPrincipal() p: Principal, @Args() page: PageArgs, @Args('filter', { type: () => SweepFilter, nullable: true }) filter?: SweepFilter) {
    return this.service.page(p.team.id, { namePrefix: filter?.namePrefix, owners: await this.visibility.ownerIds(p) }, page);
  }
}
