import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { ExperimentRepository } from '@trainyard/db';
import { Checkpoint, Experiment, ExperimentStatus, LossPoint } from '../graphql/types';
import { Loaders } from '../graphql/loaders';
import { SubmitExperimentInput } from './experiment.inputs';
import { ExperimentService } from './experiment.service';

type ExperimentRow = Awaited<ReturnType<ExperimentRepository['get']>>;

export function toExperiment(row: ExperimentRow): Experiment {
  return {
    ...row,
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
    private readonly loaders: Loaders,
  ) {}

  @Mutation(() => Experiment, { description: 'Validates the spec and queues a training run.' })
  async submitExperiment(@CurrentTeam() team: TeamPrincipal, @Args('input') input: SubmitExperimentInput) {
    return toExperiment(await this.service.submit(team.id, input));
  }

  @Mutation(() => Experiment, { description: 'Stops the run within a few steps; its last checkpoint is kept.' })
  async cancelExperiment(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return toExperiment(await this.repo.requestCancel(team.id, id));
  }

  @Query(() => Experiment)
  async experiment(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return toExperiment(await this.repo.get(team.id, id));
  }

  @Query(() => [Experiment])
  async experiments(
    @CurrentTeam() team: TeamPrincipal,
    @Args('status', { type: () => ExperimentStatus, nullable: true }) status?: ExperimentStatus,
  ) {
    return (await this.repo.list(team.id, status)).map(toExperiment);
  }

  @ResolveField(() => [LossPoint], { description: 'The loss every perPrintTimes steps, oldest first.' })
  losses(
    @Parent() e: Experiment,
    @Context('req') req: object,
    @Args('afterStep', { type: () => Int, defaultValue: 0 }) afterStep: number,
    @Args('limit', { type: () => Int, defaultValue: 1000 }) limit: number,
  ) {
    return this.loaders.losses(req, e.id, afterStep, Math.min(Math.max(limit, 1), 10_000));
  }

  @ResolveField(() => [Checkpoint])
  async checkpoints(@Parent() e: Experiment, @Context('req') req: object): Promise<Checkpoint[]> {
    return (await this.loaders.checkpoints(req, e.id)).map((c) => ({
      id: c.id,
      step: c.step,
      epoch: c.epoch,
      sizeBytes: c.sizeBytes,
      downloadUrl: `/v1/checkpoints/${c.id}`,
      createdAt: c.createdAt,
    }));
  }
}
