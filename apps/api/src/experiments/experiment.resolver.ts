import { Inject, UseGuards } from '@nestjs/common';
import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import { EVENT_BUS, EventPublisher, mapEvents, subscribeEvents, topic, TrainyardEvent } from '@trainyard/events';
import { PubSubEngine } from 'graphql-subscriptions';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole, VisibilityService } from '@trainyard/auth';
import { CheckpointRepository, ExperimentRepository } from '@trainyard/db';
import { HiddenSplits } from '../assignments/hidden-splits.service';
import { CourseRuns } from '../courses/course-runs.service';
import type { EpochSummaryData } from '@trainyard/engine/spec';
import { Checkpoint, EpochSummary, Experiment, ExperimentStatus, LossPoint, ModelSummary } from '../graphql/types';
import { Loaders } from '../graphql/loaders';
import { checkFirst, Connection, ConnectionType, decodeCursor, encodeCursor, keysetPage, NEWEST_FIRST, PageArgs, Key, withLazyTotal } from '../graphql/connection';
import { ExperimentFilter, ModelInput, PipelineInput, SubmitExperimentInput } from './experiment.inputs';
import { ExperimentService } from './experiment.service';
import { FineTuneService } from './fine-tune.service';
import { toReceipt } from './receipt.types';
import { RerunService } from './rerun.service';

type ExperimentRow = Awaited<ReturnType<ExperimentRepository['get']>>;

export const ExperimentConnection = ConnectionType(Experiment);
export const LossPointConnection = ConnectionType(LossPoint);
const DEFAULT_LOSS_PAGE = 500;
const MAX_LOSS_PAGE = 10_000;

export function toExperiment(row: ExperimentRow): Experiment {
  return {
    ...row,
    userId: row.userId,
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
    private readonly checkpointRepo: CheckpointRepository,
    private readonly visibility: VisibilityService,
    private readonly hidden: HiddenSplits,
    private readonly courseRuns: CourseRuns,
    private readonly fineTunes: FineTuneService,
    private readonly reruns: RerunService,
    @Inject(EVENT_BUS) private readonly bus: PubSubEngine,
    private readonly events: EventPublisher,
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
    return this.shown(p, await this.service.submit(p.team.id, input, p.user.id, await this.courseRuns.guard(p)));
  }

  @Mutation(() => Experiment, { description: 'Stops the run within a few steps; its last checkpoint is kept.' })
  @RequireRole('member')
  async cancelExperiment(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    await this.visible(p, id);
    const e = await this.shown(p, await this.repo.requestCancel(p.team.id, id));
    await this.courseRuns.slotFreed(p.team.id);
    await this.events.experimentChanged(p.team.id, id);
    return e;
  }

  @Query(() => ModelSummary, { description: "A model's layers, output shapes and parameter counts on a dataset, validated as a submit would be; nothing is queued." })
  @RequireRole('viewer')
  modelSummary(
    @CurrentPrincipal() p: Principal,
    @Args('datasetId', { type: () => ID }) datasetId: string,
    @Args('model') model: ModelInput,
    @Args('pipeline', { nullable: true }) pipeline?: PipelineInput,
  ): Promise<ModelSummary> {
    return this.service.modelSummary(p.team.id, datasetId, model, pipeline);
  }

  @Mutation(() => Experiment, {
    description: 'Resumes a FAILED or CANCELLED experiment from its last checkpoint (weights, optimizer state, step, data order).',
  })
  @RequireRole('member')
  async resumeExperiment(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    await this.visible(p, id);
    return this.shown(p, await this.service.resume(p.team.id, id, await this.courseRuns.guard(p)));
  }

  @Mutation(() => Experiment, {
    description:
      "A new experiment starting from a checkpoint of this team: same model, the input's dataset and training settings, freezeLayers kept as loaded, the head replaced when the class count differs.",
  })
  @RequireRole('member')
  async fineTuneExperiment(
    @CurrentPrincipal() p: Principal,
    @Args('checkpointId', { type: () => ID }) checkpointId: string,
    @Args('input') input: SubmitExperimentInput,
    @Args('freezeLayers', { type: () => [String], defaultValue: [] }) freezeLayers: string[],
  ) {
    const c = await this.checkpointRepo.getForTeam(p.team.id, checkpointId);
    await this.visibility.assertSees(p, c.experiment.userId, 'checkpoint', checkpointId);
    const e = await this.fineTunes.fineTune(p.team.id, checkpointId, freezeLayers, input, { userId: p.user.id, guard: await this.courseRuns.guard(p) });
    return this.shown(p, e);
  }

  @Mutation(() => Experiment, {
    description: "A new experiment from this one's receipt: same dataset contents (CONFLICT if they changed), resolved spec, seed and fine-tune base.",
  })
  @RequireRole('member')
  async rerunExperiment(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    await this.visible(p, id);
    const e = await this.reruns.rerun(p.team.id, id, { userId: p.user.id, guard: await this.courseRuns.guard(p) });
    return this.shown(p, e);
  }

  @Query(() => Experiment)
  @RequireRole('viewer')
  async experiment(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    return this.shown(p, await this.visible(p, id));
  }

  @Query(() => ExperimentConnection, {
    description: "Newest first (createdAt, then id). In a course, students get their own and their group's; instructors and assistants everyone's.",
  })
  @RequireRole('viewer')
  async experiments(
    @CurrentPrincipal() p: Principal,
    @Args() page: PageArgs,
    @Args('filter', { type: () => ExperimentFilter, nullable: true }) filter?: ExperimentFilter,
  ) {
    const f = filter ?? {};
    const owners = await this.visibility.ownerIds(p);
    const userIds = owners ? (f.userId ? owners.filter((u) => u === f.userId) : owners) : f.userId ? [f.userId] : undefined;
    const where = { status: f.status, datasetId: f.datasetId, sweepId: f.sweepId, namePrefix: f.namePrefix, userIds };
    return keysetPage(
      {
        list: 'experiments',
        ...NEWEST_FIRST,
        fetch: (after: Key | undefined, take: number) => this.repo.page(p.team.id, where, NEWEST_FIRST.after(after), take),
        count: () => this.repo.count(p.team.id, where),
      },
      page,
      (r) => this.shown(p, r),
    );
  }

  @ResolveField(() => [LossPoint], {
    description: 'The loss every perPrintTimes steps, oldest first.',
    deprecationReason: 'use lossPoints(first, after): a connection paged by step',
  })
  losses(
    @Parent() e: Experiment,
    @Context('req') req: object,
    @Args('afterStep', { type: () => Int, defaultValue: 0 }) afterStep: number,
    @Args('limit', { type: () => Int, defaultValue: 1000 }) limit: number,
  ) {
    return this.loaders.losses(req, e.id, afterStep, Math.min(Math.max(limit, 1), 10_000));
  }

  @ResolveField(() => LossPointConnection, {
    description: `The loss series, oldest first, paged by step (the cursor is a step): first 0-${MAX_LOSS_PAGE}, default ${DEFAULT_LOSS_PAGE}.`,
  })
  async lossPoints(
    @Parent() e: Experiment,
    @Context('req') req: object,
    @Args('first', { type: () => Int, defaultValue: DEFAULT_LOSS_PAGE }) first: number,
    @Args('after', { type: () => String, nullable: true }) after?: string | null,
  ): Promise<Connection<LossPoint>> {
    checkFirst(first, MAX_LOSS_PAGE);
    const afterStep = (decodeCursor('lossPoints', after, 'n')?.[0] as number | undefined) ?? -1;
    const rows = await this.loaders.losses(req, e.id, afterStep, first + 1);
    const page = rows.slice(0, first);
    const edges = page.map((r) => ({ cursor: encodeCursor('lossPoints', [r.step]), node: { step: r.step, epoch: r.epoch, loss: r.loss, lr: r.lr } }));
    return withLazyTotal(
      {
        edges,
        pageInfo: { hasNextPage: rows.length > first, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: edges[edges.length - 1]?.cursor ?? null },
      },
      () => this.loaders.lossCount(req, e.id),
    );
  }

  @Subscription(() => Experiment, {
    description:
      'The experiment now, then again each time its status, progress or cancel flag changes (graphql-ws, same API key in connectionParams). Close it when the status is final.',
    resolve: (e: Experiment) => e,
  })
  @RequireRole('viewer')
  async experimentUpdated(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    await this.visible(p, id); // another team's, or a classmate's: NOT_FOUND, and no events
    const events = await subscribeEvents<TrainyardEvent>(this.bus, topic('experiment', id));
    const now = async () => this.shown(p, await this.repo.get(p.team.id, id));
    return mapEvents(events, now, now);
  }

  @Subscription(() => [LossPoint], {
    description: "New points of the experiment's loss series as the worker records them, oldest first (read earlier ones with lossPoints).",
    resolve: (points: LossPoint[]) => points,
  })
  @RequireRole('viewer')
  async lossPointsAdded(@CurrentPrincipal() p: Principal, @Args('experimentId', { type: () => ID }) experimentId: string) {
    await this.visible(p, experimentId);
    const events = await subscribeEvents<TrainyardEvent>(this.bus, topic('lossPoints', experimentId));
    return mapEvents(events, async (e) => (e.kind === 'lossPoints' && e.teamId === p.team.id ? e.points.map((x) => ({ ...x, lr: x.lr ?? null })) : undefined));
  }

  @ResolveField(() => [EpochSummary], { description: 'Per-epoch summaries, oldest first.' })
  async epochSummaries(@Parent() e: Experiment, @Context('req') req: object): Promise<EpochSummary[]> {
    return (await this.loaders.epochSummaries(req, e.id)).map((row) => {
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
