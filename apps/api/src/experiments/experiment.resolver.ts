import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { ExperimentRepository } from '@trainyard/db';
import type { EpochSummaryData } from '@trainyard/engine/spec';
import { Checkpoint, EpochSummary, Experiment, ExperimentStatus, LossPoint, ModelSummary } from '../graphql/types';
import { Loaders } from '../graphql/loaders';
import { ModelInput, PipelineInput, SubmitExperimentInput } from './experiment.inputs';
import { ExperimentService } from './experiment.service';
import { FineTuneService } from './fine-tune.service';
import { toReceipt } from './receipt.types';
import { RerunService } from './rerun.service';

type ExperimentRow = Awaited<ReturnType<ExperimentRepository['get']>>;

export function toExperiment(row: ExperimentRow): Experiment {
  return {
    ...row,
    status: row.status as ExperimentStatus,
    progress: { epoch: row.epoch, step: row.step, totalSteps: row.totalSteps, samplesPerSecond: row.samplesPerSecond },
    metrics: row.metrics as Experiment['metrics'],
    receipt: toReceipt(row.receipt),
  };
}

@Resolver(() => Experiment)
@UseGuards(ApiKeyGuard)
export class ExperimentResolver {
  constructor(
    private readonly service: ExperimentService,
    private readonly repo: ExperimentRepository,
    private readonly loaders: Loaders,
    private readonly fineTunes: FineTuneService,
    private readonly reruns: RerunService,
  ) {}

  @Mutation(() => Experiment, { description: 'Validates the spec and queues a training run.' })
  async submitExperiment(@CurrentTeam() team: TeamPrincipal, @Args('input') input: SubmitExperimentInput) {
    return toExperiment(await this.service.submit(team.id, input));
  }

  @Mutation(() => Experiment, { description: 'Stops the run within a few steps; its last checkpoint is kept.' })
  async cancelExperiment(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return toExperiment(await this.repo.requestCancel(team.id, id));
  }

  @Query(() => ModelSummary, { description: "A model's layers, output shapes and parameter counts on a dataset, validated as a submit would be; nothing is queued." })
  modelSummary(
    @CurrentTeam() team: TeamPrincipal,
    @Args('datasetId', { type: () => ID }) datasetId: string,
    @Args('model') model: ModelInput,
    @Args('pipeline', { nullable: true }) pipeline?: PipelineInput,
  ): Promise<ModelSummary> {
    return this.service.modelSummary(team.id, datasetId, model, pipeline);
  }

  @Mutation(() => Experiment, {
    description: 'Resumes a FAILED or CANCELLED experiment from its last checkpoint (weights, optimizer state, step, data order).',
  })
  async resumeExperiment(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return toExperiment(await this.service.resume(team.id, id));
  }

  @Mutation(() => Experiment, {
    description:
      "A new experiment starting from a checkpoint of this team: same model, the input's dataset and training settings, freezeLayers kept as loaded, the head replaced when the class count differs.",
  })
  async fineTuneExperiment(
    @CurrentTeam() team: TeamPrincipal,
    @Args('checkpointId', { type: () => ID }) checkpointId: string,
    @Args('input') input: SubmitExperimentInput,
    @Args('freezeLayers', { type: () => [String], defaultValue: [] }) freezeLayers: string[],
  ) {
    return toExperiment(await this.fineTunes.fineTune(team.id, checkpointId, freezeLayers, input));
  }

  @Mutation(() => Experiment, {
    description: "A new experiment from this one's receipt: same dataset contents (CONFLICT if they changed), resolved spec, seed and fine-tune base.",
  })
  async rerunExperiment(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return toExperiment(await this.reruns.rerun(team.id, id));
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

  @ResolveField(() => [EpochSummary], { description: 'Per-epoch summaries, oldest first.' })
  async epochSummaries(@Parent() e: Experiment): Promise<EpochSummary[]> {
    return (await this.repo.epochSummaries(e.id)).map((row) => {
      const d = row.data as unknown as EpochSummaryData;
      return {
        epoch: row.epoch,
        step: row.step,
        loss: d.meanLoss,
        accuracy: d.accuracy,
        learningRate: d.learningRate,
        samplesPerSecond: d.samplesPerSecond,
        validation: d.val,
        layers: d.layers,
      };
    });
  }

  @ResolveField(() => [Checkpoint])
  async checkpoints(@Parent() e: Experiment, @Context('req') req: object): Promise<Checkpoint[]> {
    return (await this.loaders.checkpoints(req, e.id)).map((c) => ({ ...c, downloadUrl: `/v1/checkpoints/${c.id}` }));
  }
}
