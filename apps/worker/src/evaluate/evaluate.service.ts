import { Inject, Injectable, Logger } from '@nestjs/common';
import { Batch, ExperimentSpec } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { buildBatchSource, PipelineSpec } from '@trainyard/data';
import { EvaluationRepository, SupersededError } from '@trainyard/db';
import { evaluate, initBackend, loadCheckpoint, modelFromCheckpoint } from '@trainyard/engine';
import { JobContext } from '@trainyard/queue';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { DatasetLoader, LoadedDataset } from '../training/dataset-loader';

export type EvaluationOutcome = 'succeeded' | 'failed' | 'superseded' | 'already-finished';

/**
 * The `evaluate` job: scores one checkpoint on one dataset's test split without training, with the
 * pipeline (map ops) of the experiment that made the checkpoint, and stores the metrics in the
 * Evaluation row. Runs on this thread: evaluate() yields between batches, so the job lock renews.
 */
@Injectable()
export class EvaluateService {
  private readonly logger = new Logger('Evaluate');
  private backend?: Promise<{ name: string }>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly evaluations: EvaluationRepository,
    private readonly loader: DatasetLoader,
  ) {}

  async handle(job: { evaluationId: string }, ctx: Pick<JobContext, 'lastTry'>): Promise<EvaluationOutcome> {
    const id = job.evaluationId;
    const row = await this.evaluations.getById(id);
    if (!row || row.status === 'SUCCEEDED' || row.status === 'FAILED') return 'already-finished';
    const attempt = await this.evaluations.claim(id);
    if (attempt === undefined) return 'already-finished';
    const log = (m: string) => this.logger.log(`evaluation ${id} attempt ${attempt}: ${m}`);
    try {
      const spec = row.checkpoint.experiment.spec as unknown as ExperimentSpec;
      const [bytes, data] = await Promise.all([this.store.getBytes(row.checkpoint.storageKey), this.loader.load(row)]);
      const metrics = await this.score(bytes, spec, data.test, log).finally(() => data.release());
      await this.evaluations.finish(id, attempt, { status: 'SUCCEEDED', metrics: metrics as object });
      log(`succeeded: ${metrics.regression && metrics.task === 'regression' ? `MSE ${metrics.regression.mse.toPrecision(4)} R² ${metrics.regression.r2.toFixed(4)}` : `accuracy ${metrics.accuracy.toFixed(4)}`}`);
      return 'succeeded';
    } catch (err) {
      if (err instanceof SupersededError) return 'superseded';
      // A problem of the inputs (a corrupt checkpoint, shapes that do not fit) fails at once; I/O is retried.
      const permanent = (err as { code?: string }).code !== undefined;
      if (!permanent && !ctx.lastTry) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      await this.evaluations.finish(id, attempt, { status: 'FAILED', failureReason: reason.slice(0, 500) });
      log(`failed: ${reason}`);
      return 'failed';
    }
  }

  /** Enqueue-side recovery for the in-process queue, as TrainingService.requeueUnfinished. */
  unfinished() {
    return this.evaluations.unfinished();
  }

  private async score(bytes: Uint8Array, spec: ExperimentSpec, split: LoadedDataset['test'], log: (m: string) => void) {
    this.backend ??= initBackend(this.config.worker.backend);
    const { name } = await this.backend;
    const ckpt = loadCheckpoint(bytes);
    const numClasses = ckpt.header.modelSpec.numClasses;
    log(`scoring step ${ckpt.header.step} of ${ckpt.header.modelSpec.name} (${name} backend)`);
    const model = modelFromCheckpoint(ckpt);
    try {
      const data = buildBatchSource(split, spec.pipeline as PipelineSpec, { seed: spec.seed, shuffle: false, dropRemainder: false });
      const task = 'kind' in split && split.index.task === 'regression' ? ('regression' as const) : undefined;
      try {
        return await evaluate(model, data.epoch(0) as Iterable<Batch> | AsyncIterable<Batch>, numClasses, task ? { task, loss: spec.loss } : {});
      } finally {
        if ('close' in data) await data.close(); // this process lives on: end the source's prefetch thread
      }
    } finally {
      model.dispose();
    }
  }
}
