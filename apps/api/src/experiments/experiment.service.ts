import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { badInput, checkName, checkText, ErrorCode, ExperimentSpec, LIMITS, parseExperimentSpec, requestDigest, trainPayload, TrainyardError } from '@trainyard/common';
import { batchesPerEpoch, checkLabelOps, oneHotOf, outputShape, resolveDatasetStats, validatePipelineSpec } from '@trainyard/data';
import { DEFAULT_TOPOLOGY_LIMITS, lossLabelMismatch, ParameterLimitError, parseTopologyText, summarizeModel, TopologyError, type ModelName, type ModelSummary } from '@trainyard/engine/spec';
import { CreateGuard, DatasetRepository, DatasetVersionRepository, ExperimentRepository } from '@trainyard/db';
import { CourseDispatcher } from '@trainyard/platform';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';
import { ModelInput, PipelineInput, SubmitExperimentInput } from './experiment.inputs';

/** MindSpore's LeNet-5 walkthrough: Resize, Rescale(1/255) then Rescale(1/0.3081, -0.1307/0.3081), folded into one. */
export const WALKTHROUGH_MAP = [
  { op: 'Resize', size: [32, 32] },
  { op: 'Rescale', rescale: 1 / (255 * 0.3081), shift: -0.1307 / 0.3081 },
  { op: 'TypeCast', dtype: 'float32' },
];

/** A GraphQL map op to the pipeline's JSON form (fromDataset: Normalize with the dataset's own statistics). */
function mapOpFromInput(m: object): Record<string, unknown> {
  const { fromDataset, ...rest } = m as { fromDataset?: boolean } & Record<string, unknown>;
  const op = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== null));
  if (fromDataset) Object.assign(op, { mean: op.mean ?? 'dataset', std: op.std ?? 'dataset' });
  return op;
}

/** What a dataset version's labels are (its index's task). */
type LabelTask = 'classification' | 'regression';

type StoredExperimentSpec = ExperimentSpec & { pipeline: ReturnType<typeof validatePipelineSpec> };

/** A team's limits on the models it trains (Team.maxModelParams, else the engine's default). */
export interface ModelLimits {
  maxParams: number;
}

/** Bounds an owner or admin may set the parameter limit within. */
export const MODEL_PARAMS_LIMIT_RANGE = { min: 1_000, max: 2_000_000_000 } as const;

@Injectable()
export class ExperimentService {
  constructor(
    private readonly experiments: ExperimentRepository,
    private readonly datasets: DatasetRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    private readonly versions: DatasetVersionRepository,
    @Optional() @Inject(APP_CONFIG) private readonly config?: AppConfig,
    @Optional() private readonly dispatcher?: CourseDispatcher,
  ) {}

  private readonly logger = new Logger('Experiments');

  /**
   * What an experiment trains on: the dataset and its exact version (the one named, else the newest
   * READY one; datasets from before versions have none and train on their idx files), with the shape,
   * class count and train size the spec is checked against. Also used by fine-tunes, sweeps, evaluations.
   */
  async resolveSource(teamId: string, datasetId: string, datasetVersionId?: string | null) {
    const dataset = await this.datasets.get(teamId, datasetId);
    const version = datasetVersionId ? await this.versions.getForTeam(teamId, datasetVersionId) : await this.versions.current(dataset.id);
    if (version && version.datasetId !== dataset.id) throw badInput(`dataset version ${version.id} belongs to another dataset`, { field: 'datasetVersionId' });
    if (version && version.status !== 'READY') {
      throw new TrainyardError(ErrorCode.CONFLICT, `dataset version ${version.version} is ${version.status}, not READY`, { datasetVersionId: version.id });
    }
    const source = version;
    const imageShape = version?.sampleShape ?? [];
    // A regression version (CSV with a numeric target) has no classes: the model has one output.
    const task: LabelTask = (version?.index as { task?: LabelTask } | null)?.task === 'regression' ? 'regression' : 'classification';
    const numClasses = task === 'regression' ? 1 : source?.numClasses;
    if (!version || !source?.trainCount || !numClasses) {
      throw new TrainyardError(ErrorCode.CONFLICT, `dataset ${dataset.id} is not ready: upload its files and wait for the ingest to finish`, { datasetId: dataset.id });
    }
    return { dataset, version, imageShape, numClasses, trainCount: source.trainCount, task, limits: await this.modelLimits(teamId) };
  }

  /** The team's model limits: its own parameter limit, else the default 50,000,000. */
  async modelLimits(teamId: string): Promise<ModelLimits> {
    return { maxParams: (await this.experiments.maxModelParams(teamId)) ?? DEFAULT_TOPOLOGY_LIMITS.maxParams };
  }

  async hasDefaultModelLimits(teamId: string): Promise<boolean> {
    return (await this.experiments.maxModelParams(teamId)) === null;
  }

  /** Sets (null: back to the default) the team's parameter limit; owners and admins (the resolver checks). */
  async setMaxModelParams(teamId: string, maxParams: number | null): Promise<{ maxParams: number; isDefault: boolean }> {
    const { min, max } = MODEL_PARAMS_LIMIT_RANGE;
    if (maxParams !== null && (!Number.isInteger(maxParams) || maxParams < min || maxParams > max)) {
      throw badInput(`maxParams must be an integer from ${min} to ${max}, or null for the default ${DEFAULT_TOPOLOGY_LIMITS.maxParams}; got ${maxParams}`, { field: 'maxParams' });
    }
    const stored = await this.experiments.setMaxModelParams(teamId, maxParams);
    return { maxParams: stored ?? DEFAULT_TOPOLOGY_LIMITS.maxParams, isDefault: stored === null };
  }

  /** `userId`: who submits (course visibility); `guard`: the course's runs-in-flight check, run in the inserting transaction. */
  async submit(teamId: string, input: SubmitExperimentInput, userId?: string, guard?: CreateGuard) {
    checkName('name', input.name);
    if (input.idempotencyKey !== undefined && input.idempotencyKey !== null) {
      checkText('idempotencyKey', input.idempotencyKey, { max: LIMITS.maxIdempotencyKey });
    }
    const { dataset, version, imageShape, limits, ...source } = await this.resolveSource(teamId, input.datasetId, input.datasetVersionId);
    const spec = this.buildSpec(input, source.numClasses, source.trainCount, imageShape, limits, source.task);
    // Normalize(fromDataset) becomes the version's own numbers in the stored spec, so training,
    // evaluation and serving all apply the same constants.
    const train = (version?.index as { splits?: { train?: { mean: number[]; std: number[] } } } | null)?.splits?.train;
    spec.pipeline.map = resolveDatasetStats(spec.pipeline.map, train ? { mean: train.mean, std: train.std } : undefined);
    const stepsPerEpoch = batchesPerEpoch(spec.pipeline, source.trainCount);
    const totalSteps = stepsPerEpoch * spec.epochs;
    if (!Number.isSafeInteger(totalSteps) || totalSteps > LIMITS.int32Max) {
      throw badInput(`the run would take ${totalSteps} steps (${stepsPerEpoch} per epoch x ${spec.epochs} epochs); at most ${LIMITS.int32Max} allowed`, { field: 'epochs' });
    }
    const { experiment, created } = await this.experiments.createIdempotent({
      teamId,
      userId,
      datasetId: dataset.id,
      datasetVersionId: version?.id ?? null,
      name: input.name,
      idempotencyKey: input.idempotencyKey,
      requestDigest: input.idempotencyKey ? requestDigest({ ...input, idempotencyKey: undefined }) : undefined,
      spec: spec as object,
      totalSteps,
    }, guard);
    // A replay (same idempotency key) enqueues again only while the run still waits to start: that
    // covers a first try that died between the insert and the enqueue (same job id: no duplicate).
    // Once the run started, its job's id is no longer the one trainPayload gives, and a second job
    // would run it twice; a job the queue lost is the reconciler's to restore.
    if (created || experiment.status === 'QUEUED') await this.enqueueOrLeaveToReconciler(experiment);
    return experiment;
  }

  /**
   * Always enqueue: the job id dedupes, and a retried request whose first try died between the
   * insert and the enqueue still gets its job. The row (QUEUED) is the outbox: when the queue does
   * not answer in time (Redis down), the answer goes out anyway and the workers' reconciler
   * enqueues the job once Redis is back. Never a row that no one will ever run.
   */
  async enqueueOrLeaveToReconciler(e: { id: string; teamId: string; attempt: number }): Promise<void> {
    const experimentId = e.id;
    // Course runs wait for admission (fair share), teams' runs go to the queue at once.
    const enqueued = this.dispatcher ? this.dispatcher.dispatch(e) : this.queue.enqueue('train', trainPayload(e));
    const timeoutMs = this.config?.reconcile?.enqueueTimeoutMs ?? 3_000;
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      enqueued.then(
        () => false,
        () => true,
      ),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
    if (late) {
      enqueued.catch((e: Error) => this.logger.warn(`experiment ${experimentId}: enqueue failed (${e.message}); the reconciler will queue it`));
      this.logger.warn(`experiment ${experimentId}: the queue did not take the job within ${timeoutMs} ms; accepted, the reconciler will queue it`);
    }
  }

  /** A model's layers, output shapes and parameter counts on a dataset, before training (Keras summary()). */
  async modelSummary(teamId: string, datasetId: string, model: ModelInput, pipelineInput?: PipelineInput): Promise<ModelSummary> {
    const dataset = await this.datasets.get(teamId, datasetId);
    const version = await this.versions.current(dataset.id);
    const source = version ?? dataset;
    const imageShape = version ? version.sampleShape : dataset.imageShape;
    if (!source.numClasses || imageShape.length !== 3) {
      throw new TrainyardError(ErrorCode.CONFLICT, `dataset ${dataset.id} is not ready: its shape and classes are not known yet`, { datasetId: dataset.id });
    }
    const pipeline = this.buildPipeline(pipelineInput, Number.MAX_SAFE_INTEGER, imageShape);
    const numClasses = model.numClasses ?? source.numClasses;
    return this.summarize({ name: model.name as ModelName, numClasses, params: normalizeModelParams(model.name, model.params) }, pipeline, imageShape, await this.modelLimits(teamId));
  }

  /**
   * Resumes a FAILED or CANCELLED experiment: the worker picks it up from its last checkpoint
   * (weights, optimizer state, step and data order), so it ends as an uninterrupted run would.
   * `guard`: the course's runs-in-flight check, as for a submit.
   */
  async resume(teamId: string, id: string, guard?: CreateGuard) {
    const attempt = await this.experiments.reopen(teamId, id, guard);
    if (attempt === undefined) {
      const e = await this.experiments.get(teamId, id);
      throw new TrainyardError(ErrorCode.CONFLICT, `experiment ${id} is ${e.status}; only FAILED or CANCELLED experiments can be resumed`, {
        status: e.status,
      });
    }
    const e = await this.experiments.get(teamId, id);
    await this.enqueueOrLeaveToReconciler(e);
    return this.experiments.get(teamId, id);
  }

  /** Fills in the walkthrough's defaults and validates everything before anything is stored. */
  buildSpec(input: SubmitExperimentInput, datasetClasses: number, trainCount: number, imageShape: number[], limits?: ModelLimits, task: LabelTask = 'classification'): StoredExperimentSpec {
    if (!input.name.trim()) throw badInput('name must not be empty', { field: 'name' });
    const pipeline = this.buildPipeline(input.pipeline, trainCount, imageShape);
    const numClasses = input.model.numClasses ?? datasetClasses;
    if (task === 'regression' && numClasses !== 1) {
      throw badInput(`model.numClasses ${numClasses}: a regression dataset has one target, so the model has one output (leave numClasses out or set 1)`, { field: 'model.numClasses' });
    }
    checkLabelOps(pipeline.map, { task, numClasses: task === 'regression' ? null : datasetClasses, modelOutputs: numClasses });
    if (numClasses < datasetClasses) {
      throw badInput(`model.numClasses ${numClasses} is smaller than the dataset's ${datasetClasses} classes`, { field: 'model.numClasses' });
    }
    const checkpoint = input.checkpoint ?? { saveCheckpointSteps: 1875, keepCheckpointMax: 10 };
    const spec = parseExperimentSpec(
      compact({
        model: compact({ name: input.model.name, numClasses, params: normalizeModelParams(input.model.name, input.model.params) }),
        imageShape,
        pipeline,
        loss: compact(input.loss ?? (task === 'regression' ? { name: 'MSE' } : { name: 'SoftmaxCrossEntropyWithLogits', sparse: true })),
        optimizer: compact(input.optimizer),
        schedule: input.schedule && compact(input.schedule),
        l2: input.l2,
        clipGlobalNorm: input.clipGlobalNorm,
        earlyStopping: input.earlyStopping && compact(input.earlyStopping),
        timeBudgetSeconds: input.timeBudgetSeconds,
        topK: input.topK,
        epochs: input.epochs,
        perPrintTimes: input.perPrintTimes ?? 10,
        seed: input.seed ?? 1,
        checkpoint: compact({ ...checkpoint, keepBest: checkpoint.keepBest && compact(checkpoint.keepBest) }),
      }),
    );
    // The loss must fit what the batches carry: class indices, regression values, or OneHot rows.
    const mismatch = lossLabelMismatch(spec.loss, task === 'regression' ? 'regression' : oneHotOf(pipeline.map) ? 'one-hot' : 'class');
    if (mismatch) throw badInput(`loss: ${mismatch}`, { field: 'loss' });
    this.summarize(spec.model, pipeline, imageShape, limits);
    return { ...spec, pipeline };
  }

  private buildPipeline(p: PipelineInput = {}, trainCount: number, imageShape: number[]) {
    const batchSize = p.batchSize ?? 32;
    const dropRemainder = p.dropRemainder ?? true;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw badInput(`pipeline.batchSize must be a positive integer, got ${batchSize}`, { field: 'pipeline.batchSize' });
    if (batchSize > trainCount) {
      throw badInput(`pipeline.batchSize ${batchSize} is larger than the dataset's train split (${trainCount} samples)`, { field: 'pipeline.batchSize' });
    }
    return validatePipelineSpec({
      map: p.map?.map(mapOpFromInput) ?? (imageShape[0] === 1 && imageShape[1] === 1 ? [] : WALKTHROUGH_MAP),
      shuffle: { bufferSize: p.shuffleBufferSize ?? 10_000 },
      batch: { size: batchSize, dropRemainder },
      ...(p.repeat !== undefined ? { repeat: p.repeat } : {}),
    });
  }

  /** Checks the model against what the pipeline feeds it (shape, classes, the team's parameter limit); returns its summary. */
  private summarize(
    model: { name: ModelName; numClasses: number; params?: Record<string, unknown> },
    pipeline: StoredExperimentSpec['pipeline'],
    imageShape: number[],
    limits: ModelLimits = { maxParams: DEFAULT_TOPOLOGY_LIMITS.maxParams },
  ): ModelSummary {
    const sample = outputShape(pipeline, imageShape);
    const channelsFirst = pipeline.map.some((op) => op.op === 'HWC2CHW');
    if (channelsFirst && model.name === 'custom') {
      throw badInput('model custom: a custom topology takes channels-last [height, width, channels] input; drop HWC2CHW from the pipeline', { field: 'pipeline.map' });
    }
    const inputShape = (channelsFirst ? [sample[1], sample[2], sample[0]] : sample) as [number, number, number];
    try {
      return summarizeModel(model, { inputShape, numClasses: model.numClasses, dataFormat: channelsFirst ? 'channelsFirst' : 'channelsLast' }, { maxParams: limits.maxParams });
    } catch (e) {
      if (e instanceof ParameterLimitError) {
        const field = model.name === 'custom' ? 'model.params.topology' : 'model';
        throw badInput(
          `${field}: model ${model.name} has ${e.totalParams} parameters, over this team's limit of ${e.maxParams} (largest layer "${e.largest.name}": ${e.largest.params}); ` +
            'choose a smaller model, or an owner or admin can raise the limit with setModelParameterLimit',
          { field, layer: e.largest.name, params: e.totalParams, maxParams: e.maxParams },
        );
      }
      if (e instanceof TopologyError) {
        const field = model.name === 'custom' ? 'model.params.topology' : 'model';
        throw badInput(`${field}: ${e.message}`, { field, ...(e.layer ? { layer: e.layer } : {}) });
      }
      throw e;
    }
  }
}

/** Drops undefined and null fields (GraphQL leaves unset optional fields null). */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;
}

/** A custom topology sent as JSON text is checked for size and depth before parsing, then stored parsed. */
function normalizeModelParams(name: string, params?: Record<string, unknown> | null): Record<string, unknown> | undefined {
  if (params == null) return undefined;
  if (name === 'custom' && typeof params.topology === 'string') {
    try {
      return { ...params, topology: parseTopologyText(params.topology) };
    } catch (e) {
      if (e instanceof TopologyError) throw badInput(`model.params.topology: ${e.message}`, { field: 'model.params.topology' });
      throw e;
    }
  }
  return params;
}
