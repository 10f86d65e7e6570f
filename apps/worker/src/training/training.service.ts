import { AsyncResource } from 'node:async_hooks';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ExperimentSpec, JobPayloads, trainPayload } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { CheckpointRepository, ExperimentRepository, SupersededError } from '@trainyard/db';
import { CheckpointMeta, epochSummaryData, EpochLogs, LossReport, runTrainingThread, TrainRequest } from '@trainyard/engine';
import { CourseDispatcher } from '@trainyard/platform';
import { JOB_QUEUE, JOB_RELEASED, JobContext, JobQueue } from '@trainyard/queue';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { DatasetLoader, LoadedDataset } from './dataset-loader';
import { CheckpointSink } from './checkpoint-sink';
import { ReceiptRecorder } from './receipt-recorder';
import { RunWatcher } from './run-watcher';
import { ComputeBudget } from '../budget/compute-budget.service';
import { WorkerMetrics } from '../observability/worker-metrics';
import { ArtifactsService } from '../retention/artifacts.service';
import { EventPublisher } from '@trainyard/events';

export type TrainingOutcome = 'succeeded' | 'failed' | 'cancelled' | 'paused' | 'superseded' | 'already-finished' | typeof JOB_RELEASED;

/**
 * Runs one experiment: claims a new attempt, loads the dataset and the last checkpoint, trains on a
 * worker thread (so this event loop stays free to renew the job's lock and serve requests), and
 * writes progress, losses, checkpoints and metrics, every write fenced by the attempt token.
 */
@Injectable()
export class TrainingService {
  private readonly logger = new Logger('Training');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly experiments: ExperimentRepository,
    private readonly datasets: DatasetLoader,
    private readonly checkpoints: CheckpointRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    private readonly metrics: WorkerMetrics,
    private readonly budget: ComputeBudget,
    private readonly artifacts: ArtifactsService,
    private readonly receipts: ReceiptRecorder,
    private readonly checkpointSink: CheckpointSink,
    private readonly dispatcher: CourseDispatcher,
    private readonly events: EventPublisher,
  ) {}

  /** The `train` job's handler. */
  handle(job: JobPayloads['train'], ctx: JobContext): Promise<TrainingOutcome> {
    return this.run(job, { lastTry: ctx.lastTry, shutdown: ctx.shutdown });
  }

  /** Enqueues every experiment still QUEUED or RUNNING (the in-process queue forgets its jobs on exit). */
  async requeueUnfinished(): Promise<void> {
    for (const row of await this.experiments.unfinished()) await this.queue.enqueue('train', trainPayload(row));
    await this.dispatcher.admitAll();
  }

  /**
   * `lastTry`: the queue will not deliver this job again, so an error ends the experiment as FAILED
   * instead of being thrown for a retry. `shutdown`: aborted when this worker is shutting down; the
   * run then stops after its current step, stores a checkpoint there and returns 'released', leaving
   * the experiment RUNNING so the next attempt (on another worker) resumes from that checkpoint.
   */
  async run(job: JobPayloads['train'], { lastTry = false, shutdown }: { lastTry?: boolean; shutdown?: AbortSignal } = {}): Promise<TrainingOutcome> {
    const id = job.experimentId;
    if (shutdown?.aborted) return JOB_RELEASED;
    const existing = await this.experiments.getById(id);
    if (!existing || this.experiments.isTerminal(existing.status)) return 'already-finished';
    const attempt = await this.experiments.claim(id);
    if (attempt === undefined) return 'already-finished';
    const log = (msg: string) => this.logger.log(`experiment ${id} attempt ${attempt}: ${msg}`);
    this.metrics.trainingStarted(id);
    await this.events.experimentChanged(existing.teamId, id); // RUNNING
    try {
      const outcome = await this.train(id, attempt, existing.teamId, existing.cancelRequested, log, shutdown);
      if (outcome === 'succeeded') await this.artifacts.afterRun(existing.teamId, id).catch((e: Error) => log(`retention policy not applied: ${e.message}`));
      return outcome;
    } catch (err) {
      if (err instanceof SupersededError) {
        log('superseded by a newer attempt; stopping without writing');
        return 'superseded';
      }
      if (!lastTry) throw err; // transient (store, database): the queue retries, and the retry resumes
      const reason = `gave up after repeated errors: ${err instanceof Error ? err.message : String(err)}`;
      await this.experiments.finish(id, attempt, 'FAILED', { failureReason: reason });
      log(`failed: ${reason}`);
      return 'failed';
    } finally {
      this.metrics.trainingEnded(id);
      // A course run that ended or paused frees a slot: admit the next user's run (fair share).
      await this.dispatcher.admit(existing.teamId).catch((e: Error) => log(`course admission pass failed (the reconciler retries): ${e.message}`));
      // Whatever the outcome (succeeded, failed, cancelled, paused, released), subscribers re-read it.
      await this.events.experimentChanged(existing.teamId, id);
    }
  }

  private async train(id: string, attempt: number, teamId: string, cancelRequested: boolean, log: (m: string) => void, shutdown?: AbortSignal): Promise<TrainingOutcome> {
    if (cancelRequested) {
      await this.experiments.finish(id, attempt, 'CANCELLED');
      return 'cancelled';
    }
    if ((await this.budget.charge(id, attempt, 0)).over) {
      await this.experiments.update(id, attempt, { status: 'PAUSED' });
      log('paused before starting: the compute budget is used up');
      return 'paused';
    }
    const experiment = (await this.experiments.getById(id))!;
    const data = await this.datasets.load(experiment);
    try {
      return await this.trainOn(data, experiment, id, attempt, teamId, log, shutdown);
    } finally {
      await data.release();
    }
  }

  private async trainOn(
    data: LoadedDataset,
    experiment: NonNullable<Awaited<ReturnType<ExperimentRepository['getById']>>>,
    id: string,
    attempt: number,
    teamId: string,
    log: (m: string) => void,
    shutdown?: AbortSignal,
  ): Promise<TrainingOutcome> {
    const spec = experiment.spec as unknown as ExperimentSpec;

    const last = await this.checkpoints.latest(id);
    const resume = last ? await this.store.getBytes(last.storageKey) : undefined;
    log(last ? `resuming from the checkpoint at step ${last.step}` : 'starting');
    const fineTune = await this.fineTuneRequest(experiment, !!last, log);
    if (fineTune === 'base-deleted') {
      await this.experiments.finish(id, attempt, 'FAILED', { failureReason: `the checkpoint ${experiment.baseCheckpointId} to fine-tune from was deleted` });
      return 'failed';
    }

    // Errors of our own I/O (store, database) are worth a retry; an error the training itself raises
    // would only happen again, so it fails the run at once.
    let ioError: unknown;
    const io =
      <A extends unknown[]>(fn: (...args: A) => Promise<void>) =>
      async (...args: A) => {
        try {
          await fn(...args);
        } catch (err) {
          ioError = err;
          throw err;
        }
      };

    const thread = runTrainingThread(
      {
        spec,
        train: data.train,
        test: data.test,
        validation: data.validation,
        classNames: data.classNames,
        backend: this.config.worker.backend,
        resume,
        fineTune,
      },
      {
        onBackend: io(async (backend: string) => {
          log(`training on the ${backend} backend`);
          await this.receipts.record(experiment, attempt, backend);
        }),
        onProgress: io(async (p: LossReport) => {
          log(`epoch ${p.epoch + 1} step ${p.step}/${experiment.totalSteps} loss ${p.loss.toFixed(4)} ${Math.round(p.samplesPerSecond)} samples/s`);
          this.metrics.trainingProgress(id, p.samplesPerSecond);
          const point = { step: p.step, epoch: p.epoch, loss: p.loss, lr: p.lr };
          watcher.observe(await this.experiments.recordProgress(id, attempt, { epoch: p.epoch, step: p.step, samplesPerSecond: p.samplesPerSecond }, [point]));
          // After the write: a subscriber that re-reads sees at least what the event announced.
          await this.events.lossPointsAdded(teamId, id, [point]);
          await this.events.experimentChanged(teamId, id);
        }),
        onEpochEnd: io(async (e: EpochLogs) => {
          log(`epoch ${e.epoch + 1} done: loss ${e.meanLoss.toFixed(4)}${e.val ? ` val_loss ${e.val.loss.toFixed(4)} val_accuracy ${e.val.accuracy?.toFixed(4)}` : ''} lr ${e.learningRate}`);
          await this.experiments.recordEpochSummary(id, attempt, { epoch: e.epoch, step: e.step, data: epochSummaryData(e) });
        }),
        onCheckpoint: io((bytes: Uint8Array, meta: CheckpointMeta) =>
          this.checkpointSink.save({ teamId, experimentId: id, attempt, keepMax: spec.checkpoint.keepCheckpointMax, keepBest: Boolean(spec.checkpoint.keepBest) }, bytes, meta),
        ),
      },
    );
    const watcher = new RunWatcher(this.experiments, id, attempt, () => thread.stop()).start(this.config.worker.pollIntervalMs);
    // Course compute budgets: worker-seconds are charged on a timer and at the end; a run whose
    // student (or group) reaches the budget stops at its next step with a checkpoint: PAUSED.
    let charged = Date.now();
    const charge = async () => {
      const now = Date.now();
      const seconds = (now - charged) / 1000;
      charged = now;
      return this.budget.charge(id, attempt, seconds);
    };
    const budgetTimer = setInterval(() => {
      charge()
        .then((b) => {
          if (b.over && watcher.stop('paused')) log(`compute budget used up (${b.used?.toFixed(1)} of ${b.budget} worker-seconds): pausing at a checkpoint`);
        })
        .catch(() => undefined);
    }, this.config.worker.pollIntervalMs);

    // Shutdown (SIGTERM): stop after the current step; the thread stores a checkpoint there.
    // bind: the abort event fires in the signal handler's context; keep this job's log ids.
    const release = AsyncResource.bind(() => {
      if (watcher.stop('released')) log('worker shutting down: stopping at the next step to checkpoint and hand the job back');
    });
    if (shutdown?.aborted) release();
    shutdown?.addEventListener('abort', release);

    try {
      const result = await thread.done;
      await charge().catch(() => undefined);
      const stopReason = watcher.stopReason;
      if (stopReason === 'superseded') throw new SupersededError(id, attempt);
      if (stopReason === 'paused' && result.stopped) {
        await this.experiments.update(id, attempt, { status: 'PAUSED', step: result.step, epoch: result.epoch });
        log(`paused at step ${result.step}`);
        return 'paused';
      }
      if (stopReason === 'released' && result.stopped) {
        // The row stays RUNNING with this attempt; the next delivery claims attempt + 1 and resumes.
        log(`checkpointed at step ${result.step}; job handed back to the queue`);
        return JOB_RELEASED;
      }
      if (stopReason === 'cancelled' || result.stopped) {
        await this.experiments.finish(id, attempt, 'CANCELLED');
        log('cancelled');
        return 'cancelled';
      }
      await this.experiments.finish(id, attempt, 'SUCCEEDED', { metrics: result.metrics as object, step: result.step, epoch: result.epoch });
      const r = result.metrics.regression;
      log(`succeeded: ${result.metrics.task === 'regression' && r ? `test MSE ${r.mse.toPrecision(4)} MAE ${r.mae.toPrecision(4)} R² ${r.r2.toFixed(4)}` : `test accuracy ${result.metrics.accuracy.toFixed(4)}`}`);
      return 'succeeded';
    } catch (err) {
      if (err instanceof SupersededError || err === ioError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      await this.experiments.finish(id, attempt, 'FAILED', { failureReason: reason });
      log(`failed: ${reason}`);
      return 'failed';
    } finally {
      shutdown?.removeEventListener('abort', release);
      watcher.dispose();
      clearInterval(budgetTimer);
      thread.stop();
    }
  }

  /** Fine-tuning: the layers to freeze, and on a first start (not a resume) the base checkpoint's bytes. */
  private async fineTuneRequest(
    experiment: { baseCheckpointId: string | null; frozenLayers: string[] },
    resuming: boolean,
    log: (m: string) => void,
  ): Promise<TrainRequest['fineTune'] | 'base-deleted'> {
    if (!experiment.baseCheckpointId) return undefined;
    if (resuming) return { freezeLayers: experiment.frozenLayers };
    const base = await this.checkpoints.getById(experiment.baseCheckpointId);
    if (!base) return 'base-deleted';
    log(`fine-tuning from checkpoint ${base.id} (step ${base.step}), frozen: ${experiment.frozenLayers.join(', ') || 'none'}`);
    return { freezeLayers: experiment.frozenLayers, from: await this.store.getBytes(base.storageKey) };
  }
}
