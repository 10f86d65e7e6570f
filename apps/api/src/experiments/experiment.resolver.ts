import { UseGuards } from '@nestjs/common';
import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole, VisibilityService } from '@trainyard/auth';
import { CheckpointRepository, ExperimentRepository } from '@trainyard/db';
import { HiddenSplits } from '../assignments/hidden-splits.service';
import { CourseRuns } from '../courses/course-runs.service';
import { Checkpoint, Experiment, ExperimentStatus, LossPoint } from '../graphql/types';
import { SubmitExperimentInput } from './experiment.inputs';
import { ExperimentService } from './experiment.service';

type ExperimentRow = Awaited<ReturnType<ExperimentRepository['get']>>;

export function toExperiment(row: ExperimentRow): Experiment {
  return {
    ...row,
    userId: row.userId,
    status: row.status as ExperimentStatus,
    progress: { epoch: row.epoch, step: row.step, totalSteps: row.totalSteps, samplesPerSecond: row.samplesPerSecond },
    metrics: row.metrics as Experiment['metrics'],
  };
}

@Resolver(() => Experiment)
@UseGuards(ApiKeyGuard)
export class ExperimentResolver {
  constructor(
    private readonly service: ExperimentService,
    private readonly repo: ExperimentRepository,
    private readonly checkpointRepo: CheckpointRepository,
    private readonly visibility: VisibilityService,
    private readonly hidden: HiddenSplits,
    private readonly courseRuns: CourseRuns,
  ) {}

  /** A student sees only their own (and their group's) runs; others' ids are NOT_FOUND. */
  private async visible(p: Principal, id: string) {
    const row = await this.repo.get(p.team.id, id);
    await this.visibility.assertSees(p, row.userId, 'experiment', id);
    return row;
  }

  /**
   * Metrics of a run on a dataset whose test split is an assignment's hidden split are the hidden
   * split's scores: students never see them (they submit to the assignment instead).
   */
  private async shown(p: Principal, row: ExperimentRow): Promise<Experiment> {
    const e = toExperiment(row);
    if (this.visibility.restricted(p) && (await this.hidden.isHidden(p.team.id, row.datasetId))) e.metrics = null;
    return e;
  }

  @Mutation(() => Experiment, { description: 'Validates the spec and queues a training run.' })
  @RequireRole('member')
  async submitExperiment(@CurrentPrincipal() p: Principal, @Args('input') input: SubmitExperimentInput) {
    const queueOptions = await this.courseRuns.admit(p);
    return this.shown(p, await this.service.submit(p.team.id, input, p.user.id, queueOptions));
  }

  @Mutation(() => Experiment, { description: 'Stops the run within a few steps; its last checkpoint is kept.' })
  @RequireRole('member')
  async cancelExperiment(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    await this.visible(p, id);
    return this.shown(p, await this.repo.requestCancel(p.team.id, id));
  }

  @Query(() => Experiment)
  @RequireRole('viewer')
  async experiment(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    return this.shown(p, await this.visible(p, id));
  }

  @Query(() => [Experiment], { description: 'In a course, students get their own and their group\'s; instructors and assistants everyone\'s.' })
  @RequireRole('viewer')
  async experiments(
    @CurrentPrincipal() p: Principal,
    @Args('status', { type: () => ExperimentStatus, nullable: true }) status?: ExperimentStatus,
  ) {
    const owners = await this.visibility.ownerIds(p);
    const rows = (await this.repo.list(p.team.id, status)).filter((r) => !owners || (r.userId && owners.includes(r.userId)));
    return Promise.all(rows.map((r) => this.shown(p, r)));
  }

  @ResolveField(() => [LossPoint], { description: 'The loss every perPrintTimes steps, oldest first.' })
  losses(
    @Parent() e: Experiment,
    @Args('afterStep', { type: () => Int, defaultValue: 0 }) afterStep: number,
    @Args('limit', { type: () => Int, defaultValue: 1000 }) limit: number,
  ) {
    return this.repo.losses(e.id, afterStep, Math.min(Math.max(limit, 1), 10_000));
  }

  @ResolveField(() => [Checkpoint])
  async checkpoints(@Parent() e: Experiment): Promise<Checkpoint[]> {
    return (await this.checkpointRepo.forExperiment(e.id)).map((c) => ({ ...c, downloadUrl: `/v1/checkpoints/${c.id}` }));
  }
}
