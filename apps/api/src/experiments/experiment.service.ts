import { Inject, Injectable } from '@nestjs/common';
import { badInput, ErrorCode, ExperimentSpec, parseExperimentSpec, TrainyardError } from '@trainyard/common';
import { batchesPerEpoch, resolveDatasetStats, validatePipelineSpec } from '@trainyard/data';
import { DatasetRepository, DatasetVersionRepository, ExperimentRepository } from '@trainyard/db';
import { EnqueueOptions, JOB_QUEUE, JobQueue } from '@trainyard/queue';
import { SubmitExperimentInput } from './experiment.inputs';

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

type StoredExperimentSpec = ExperimentSpec & { pipeline: ReturnType<typeof validatePipelineSpec> };

@Injectable()
export class ExperimentService {
  constructor(
    private readonly experiments: ExperimentRepository,
    private readonly datasets: DatasetRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    private readonly versions: DatasetVersionRepository,
  ) {}

  /** `queueOptions`: the run's dispatch priority (course fair share). */
  async submit(teamId: string, input: SubmitExperimentInput, userId?: string, queueOptions: EnqueueOptions = {}) {
    const dataset = await this.datasets.get(teamId, input.datasetId);
    // The exact version trained on: the one named, else the newest READY one (datasets from before
    // versions have none and train on their idx files).
    const version = input.datasetVersionId ? await this.versions.getForTeam(teamId, input.datasetVersionId) : await this.versions.current(dataset.id);
    if (version && version.datasetId !== dataset.id) throw badInput(`dataset version ${version.id} belongs to another dataset`, { field: 'datasetVersionId' });
    if (version && version.status !== 'READY') {
      throw new TrainyardError(ErrorCode.CONFLICT, `dataset version ${version.version} is ${version.status}, not READY`, { datasetVersionId: version.id });
    }
    const source = version ?? dataset;
    const imageShape = version ? version.sampleShape : dataset.imageShape;
    if ((!version && dataset.status !== 'READY') || !source.trainCount || !source.numClasses) {
      throw new TrainyardError(ErrorCode.CONFLICT, `dataset ${dataset.id} is not ready: upload its files and wait for the ingest to finish`, { datasetId: dataset.id });
    }
    const spec = this.buildSpec(input, source.numClasses, source.trainCount, imageShape);
    // Normalize(fromDataset) becomes the version's own numbers in the stored spec, so training,
    // evaluation and serving all apply the same constants.
    const train = (version?.index as { splits?: { train?: { mean: number[]; std: number[] } } } | null)?.splits?.train;
    spec.pipeline.map = resolveDatasetStats(spec.pipeline.map, train ? { mean: train.mean, std: train.std } : undefined);
    const stepsPerEpoch = batchesPerEpoch(spec.pipeline, source.trainCount);
    const { experiment } = await this.experiments.createIdempotent({
      teamId,
      userId,
      datasetId: dataset.id,
      datasetVersionId: version?.id ?? null,
      name: input.name,
      idempotencyKey: input.idempotencyKey,
      spec: spec as object,
      totalSteps: stepsPerEpoch * spec.epochs,
    });
    // Always enqueue: the job id dedupes, and a retried request whose first try died between the
    // insert and the enqueue still gets its job.
    await this.queue.enqueue('train', { experimentId: experiment.id }, queueOptions);
    return experiment;
  }

  /** Fills in the walkthrough's defaults and validates everything before anything is stored. */
  buildSpec(input: SubmitExperimentInput, datasetClasses: number, trainCount: number, imageShape: number[]): StoredExperimentSpec {
    if (!input.name.trim()) throw badInput('name must not be empty', { field: 'name' });
    const p = input.pipeline ?? {};
    const batchSize = p.batchSize ?? 32;
    const dropRemainder = p.dropRemainder ?? true;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw badInput(`pipeline.batchSize must be a positive integer, got ${batchSize}`, { field: 'pipeline.batchSize' });
    if (batchSize > trainCount) {
      throw badInput(`pipeline.batchSize ${batchSize} is larger than the dataset's train split (${trainCount} samples)`, { field: 'pipeline.batchSize' });
    }
    const pipeline = validatePipelineSpec({
      map: p.map?.map(mapOpFromInput) ?? (imageShape[0] === 1 && imageShape[1] === 1 ? [] : WALKTHROUGH_MAP),
      shuffle: { bufferSize: p.shuffleBufferSize ?? 10_000 },
      batch: { size: batchSize, dropRemainder },
      ...(p.repeat !== undefined ? { repeat: p.repeat } : {}),
    });
    const numClasses = input.model.numClasses ?? datasetClasses;
    if (numClasses < datasetClasses) {
      throw badInput(`model.numClasses ${numClasses} is smaller than the dataset's ${datasetClasses} classes`, { field: 'model.numClasses' });
    }
    const spec = parseExperimentSpec({
      model: { name: input.model.name, numClasses },
      imageShape,
      pipeline,
      loss: input.loss ?? { name: 'SoftmaxCrossEntropyWithLogits', sparse: true },
      optimizer: Object.fromEntries(Object.entries(input.optimizer).filter(([, v]) => v !== undefined && v !== null)),
      epochs: input.epochs,
      perPrintTimes: input.perPrintTimes ?? 10,
      seed: input.seed ?? 1,
      checkpoint: input.checkpoint ?? { saveCheckpointSteps: 1875, keepCheckpointMax: 10 },
    });
    return { ...spec, pipeline };
  }
}
