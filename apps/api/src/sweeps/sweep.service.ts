import { Inject, Injectable } from '@nestjs/common';
import { badInput } from '@trainyard/common';
import { batchesPerEpoch } from '@trainyard/data';
import { SweepRepository } from '@trainyard/db';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';
import { SubmitExperimentInput } from '../experiments/experiment.inputs';
import { ExperimentService } from '../experiments/experiment.service';
import { bestTrial, planTrials, TrialParams } from './sweep-plan';
import { CreateSweepInput, Sweep, SweepMetric, SweepStrategy, SweepTrial } from './sweep.types';
import { ExperimentStatus } from '../graphql/types';
import { keysetPage, NEWEST_FIRST, PageArgs, Key } from '../graphql/connection';

const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** The base input with one trial's values put in. */
export function trialInput(base: SubmitExperimentInput, params: TrialParams, index: number, sweepName: string): SubmitExperimentInput {
  return {
    ...base,
    name: `${sweepName} #${index + 1}`,
    idempotencyKey: undefined,
    model: params.model ? { ...base.model, ...(params.model as object) } : base.model,
    optimizer: {
      ...base.optimizer,
      ...(params.optimizer !== undefined ? { name: params.optimizer } : {}),
      ...(params.learningRate !== undefined ? { learningRate: params.learningRate } : {}),
      ...(params.weightDecay !== undefined ? { weightDecay: params.weightDecay } : {}),
    },
    pipeline: params.batchSize !== undefined ? { ...base.pipeline, batchSize: params.batchSize } : base.pipeline,
  };
}

/**
 * Sweeps: plans the trials, validates every one before anything is stored (a bad trial, or a grid
 * over its budget, is BAD_USER_INPUT and nothing is queued), stores the sweep with its trials in one
 * transaction and queues them all: the training lane runs them as workers come free.
 */
@Injectable()
export class SweepService {
  constructor(
    private readonly sweeps: SweepRepository,
    private readonly experimentService: ExperimentService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  async create(teamId: string, input: CreateSweepInput) {
    if (!input.name.trim()) throw badInput('name must not be empty', { field: 'name' });
    const { dataset, version, imageShape, numClasses, trainCount } = await this.experimentService.resolveSource(teamId, input.base.datasetId, input.base.datasetVersionId);
    const space = JSON.parse(JSON.stringify(input.space)) as Record<string, unknown>;
    const plan = planTrials(space, input.strategy, input.budget, input.seed ?? 1);
    const children = plan.map((params, i) => {
      const trial = trialInput(input.base, params, i, input.name);
      let spec;
      try {
        spec = this.experimentService.buildSpec(trial, numClasses, trainCount, imageShape);
      } catch (e) {
        throw badInput(`trial ${i + 1} (${JSON.stringify(params).slice(0, 120)}): ${(e as Error).message}`, { field: 'space', trial: i + 1 });
      }
      return {
        datasetId: dataset.id,
        datasetVersionId: version?.id ?? null,
        name: trial.name,
        spec: spec as object,
        totalSteps: batchesPerEpoch(spec.pipeline, trainCount) * spec.epochs,
        sweepParams: params as object,
      };
    });
    const sweep = await this.sweeps.create(
      { teamId, name: input.name, strategy: input.strategy, space: space as object, budget: input.budget, metric: input.metric, maximize: input.metric !== SweepMetric.loss },
      children,
    );
    for (const e of sweep.experiments) await this.queue.enqueue('train', { experimentId: e.id });
    return toSweep(sweep);
  }

  async get(teamId: string, id: string) {
    return toSweep(await this.sweeps.get(teamId, id));
  }

  async list(teamId: string) {
    return (await this.sweeps.list(teamId)).map(toSweep);
  }

  /** A page of the team's sweeps, newest first. */
  page(teamId: string, filter: { namePrefix?: string }, page: PageArgs) {
    return keysetPage(
      {
        list: 'sweeps',
        ...NEWEST_FIRST,
        fetch: (after: Key | undefined, take: number) => this.sweeps.page(teamId, filter, NEWEST_FIRST.after(after), take),
        count: () => this.sweeps.count(teamId, filter),
      },
      page,
      toSweep,
    );
  }
}

type SweepRow = Awaited<ReturnType<SweepRepository['get']>>;

export function toSweep(row: SweepRow): Sweep {
  const trial = (e: SweepRow['experiments'][number]): SweepTrial => {
    const v = (e.metrics as Record<string, unknown> | null)?.[row.metric];
    return { experimentId: e.id, name: e.name, status: e.status as ExperimentStatus, params: e.sweepParams, value: typeof v === 'number' ? v : null };
  };
  const best = bestTrial(row.experiments, row.metric, row.maximize);
  return {
    id: row.id,
    name: row.name,
    strategy: row.strategy as SweepStrategy,
    space: row.space,
    budget: row.budget,
    metric: row.metric as SweepMetric,
    maximize: row.maximize,
    finished: row.experiments.every((e) => TERMINAL.includes(e.status)),
    trials: row.experiments.map(trial),
    best: best ? trial(best) : null,
    createdAt: row.createdAt,
  };
}
