import { UseGuards } from '@nestjs/common';
import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole, VisibilityService } from '@trainyard/auth';
import { CourseRuns } from '../courses/course-runs.service';
import { SweepService } from './sweep.service';
import { CreateSweepInput, Sweep } from './sweep.types';

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

  @Query(() => [Sweep])
  @RequireRole('member')
  async sweeps(@CurrentPrincipal() p: Principal) {
    return this.service.list(p.team.id, await this.visibility.ownerIds(p));
  }
}
