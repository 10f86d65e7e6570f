import { Inject, Injectable, Logger } from '@nestjs/common';
import { ExperimentSpec } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { EvaluationRepository, SupersededError } from '@trainyard/db';
import { runEvaluationThread, type EvaluationResult } from '@trainyard/engine';
import { JobContext } from '@trainyard/queue';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { DatasetLoader, LoadedDataset } from '../training/dataset-loader';

export type EvaluationOutcome = 'succeeded' | 'failed' | 'superseded' | 'already-finished';

/**
 * The `evaluate` job: scores one checkpoint on one dataset's test split without training, with the
 * pipeline (map ops), loss and top-k of the experiment that made the checkpoint, and stores the
 * metrics in the Evaluation row. The scoring runs on a worker thread through the engine's thread
 * runner (as training does), so this event loop stays free for the job lock, health checks and
 * other jobs.
 */
@Injectable()
export class EvaluateService {
  private readonly logger = new Logger('Evaluate');

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
      const [bytes, loaded] = await Promise.all([this.store.getBytes(row.checkpoint.storageKey), this.loader.load(row)]);
      const metrics = await this.score(bytes, spec, loaded, log);
      await this.evaluations.finish(id, attempt, { status: 'SUCCEEDED', metrics: metrics as object });
      log(`succeeded: accuracy ${metrics.accuracy.toFixed(4)}`);
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

  private async score(bytes: Uint8Array, spec: ExperimentSpec, data: LoadedDataset, log: (m: string) => void): Promise<EvaluationResult> {
    const thread = runEvaluationThread(
      {
        checkpoint: bytes,
        split: data.test,
        pipeline: spec.pipeline,
        seed: spec.seed,
        ...(spec.loss ? { loss: spec.loss } : {}),
        ...(spec.topK ? { topK: spec.topK } : {}),
        ...(data.classNames ? { classNames: data.classNames } : {}),
        backend: this.config.worker.backend,
      },
      { onBackend: (name) => log(`scoring on the ${name} backend, on a worker thread`) },
    );
    const result = await thread.done;
    log(`scored step ${result.step} of ${result.model}`);
    return result.metrics;
  }
}
