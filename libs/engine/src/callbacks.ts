/**
 * Built-in callbacks: LossMonitor, TerminateOnNaN, ModelCheckpoint (every N steps, every epoch, keep the
 * best by a metric beside the newest K), EarlyStopping, TimeBudget, and the checkpoint keep policy.
 */
import { badInput } from '@trainyard/common';
import { saveCheckpoint } from './checkpoint';
import { higherIsBetter, type EpochSummaryData, type Monitor } from './spec';
import type { EpochLogs, StepLogs, TrainBeginLogs, TrainEndLogs, Trainer, TrainingCallback } from './trainer';

export interface LossReport {
  step: number;
  epoch: number;
  stepInEpoch: number;
  loss: number;
  samplesPerSecond: number;
  /** The learning rate in force at this step. */
  lr: number;
}

/** The value of a monitored metric in an epoch's logs (undefined when the epoch has none). */
export function monitoredValue(logs: EpochLogs, monitor: Monitor): number | undefined {
  switch (monitor) {
    case 'loss':
      return Number.isFinite(logs.meanLoss) ? logs.meanLoss : undefined;
    case 'accuracy':
      return logs.accuracy;
    case 'val_loss':
      return logs.val?.loss;
    case 'val_accuracy':
      return logs.val?.accuracy;
  }
}

/**
 * Stops training when `monitor` has not improved by more than `minDelta` for `patience` epochs
 * (Keras' EarlyStopping; the loop checks the flag). Epochs without the metric are skipped.
 */
export class EarlyStopping implements TrainingCallback {
  readonly stateKey = 'earlyStopping';
  private trainer!: Trainer;
  private best: number | undefined;
  private wait = 0;
  /** Epoch at which it stopped training, if it did. */
  stoppedEpoch?: number;

  constructor(readonly opts: { monitor: Monitor; patience: number; minDelta: number }) {
    if (!Number.isInteger(opts.patience) || opts.patience < 0) throw badInput(`earlyStopping.patience must be an integer >= 0, got ${opts.patience}`);
    if (!(opts.minDelta >= 0)) throw badInput(`earlyStopping.minDelta must be >= 0, got ${opts.minDelta}`);
  }

  setTrainer(trainer: Trainer): void {
    this.trainer = trainer;
  }

  /** The best value so far and the epochs waited since (checkpointed, so a resume keeps counting). */
  getState(): { monitor: Monitor; best: number | null; wait: number } {
    return { monitor: this.opts.monitor, best: this.best ?? null, wait: this.wait };
  }

  setState(state: unknown): void {
    const s = state as { monitor?: unknown; best?: unknown; wait?: unknown } | null;
    // Only a state for the same metric continues; anything malformed starts fresh.
    if (!s || s.monitor !== this.opts.monitor) return;
    if (typeof s.best === 'number' && Number.isFinite(s.best)) this.best = s.best;
    if (Number.isInteger(s.wait) && (s.wait as number) >= 0) this.wait = s.wait as number;
  }

  onEpochEnd(logs: EpochLogs): void {
    const v = monitoredValue(logs, this.opts.monitor);
    if (v === undefined || Number.isNaN(v)) return;
    const improved =
      this.best === undefined || (higherIsBetter(this.opts.monitor) ? v > this.best + this.opts.minDelta : v < this.best - this.opts.minDelta);
    if (improved) {
      this.best = v;
      this.wait = 0;
      return;
    }
    this.wait++;
    if (this.wait >= this.opts.patience) {
      this.stoppedEpoch = logs.epoch;
      this.trainer.stop('early-stopping');
    }
  }
}

/**
 * Ends the run once `seconds` of wall-clock time have passed since training began (checked after each
 * step). The loop then ends normally: ModelCheckpoint writes its final checkpoint, and the run is
 * evaluated; nothing is killed.
 */
export class TimeBudget implements TrainingCallback {
  readonly stateKey = 'timeBudget';
  private trainer!: Trainer;
  private start = 0;
  /** Time already spent by earlier attempts of this run (from the checkpoint resumed). */
  private spentMs = 0;

  constructor(
    readonly seconds: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(seconds > 0)) throw badInput(`timeBudgetSeconds must be > 0, got ${seconds}`);
  }

  setTrainer(trainer: Trainer): void {
    this.trainer = trainer;
  }

  /** Training time used so far, this attempt and the ones before it (checkpointed). */
  getState(): { elapsedMs: number } {
    return { elapsedMs: this.spentMs + (this.now() - this.start) };
  }

  setState(state: unknown): void {
    const e = (state as { elapsedMs?: unknown } | null)?.elapsedMs;
    if (typeof e === 'number' && Number.isFinite(e) && e >= 0) this.spentMs = e;
  }

  onTrainBegin(): void {
    this.start = this.now();
  }

  onStepEnd(): void {
    if (this.spentMs + this.now() - this.start >= this.seconds * 1000) this.trainer.stop('time-budget');
  }
}

/** Reports the loss every `perPrintTimes` steps (MindSpore's LossMonitor(per_print_times)). */
export class LossMonitor implements TrainingCallback {
  constructor(
    readonly perPrintTimes: number,
    private readonly sink: (report: LossReport) => void | Promise<void>,
  ) {
    if (!Number.isInteger(perPrintTimes) || perPrintTimes < 1) {
      throw badInput(`perPrintTimes must be a positive integer, got ${perPrintTimes}`);
    }
  }

  async onStepEnd(logs: StepLogs): Promise<void> {
    if (logs.step % this.perPrintTimes !== 0) return;
    const { step, epoch, stepInEpoch, loss, samplesPerSecond, learningRate } = logs;
    await this.sink({ step, epoch, stepInEpoch, loss, samplesPerSecond, lr: learningRate });
  }
}

/** The run's loss became NaN or infinite. The run fails with this as its reason. */
export class TrainingDivergedError extends Error {
  constructor(
    readonly step: number,
    readonly loss: number,
  ) {
    super(`training diverged: loss is ${loss} at step ${step}`);
    this.name = 'TrainingDivergedError';
  }
}

/** Throws TrainingDivergedError when a step's loss is NaN or ±Infinity (checks every step). */
export class TerminateOnNaN implements TrainingCallback {
  onStepEnd(logs: StepLogs): void {
    const loss = logs.loss;
    if (!Number.isFinite(loss)) throw new TrainingDivergedError(logs.step, loss);
  }
}

export interface CheckpointMeta {
  step: number;
  epoch: number;
  stepInEpoch: number;
  /** True for the checkpoint written at the end of training (or at a stop). */
  final: boolean;
  /** Steps the keep policy now says to delete (of those known to this callback); the sink deletes them. */
  expired: number[];
  /** Step of the best checkpoint so far by keepBest's monitor (kept beside the newest K). */
  bestStep?: number;
  /** This checkpoint's value of keepBest's monitor, when it was taken at an epoch end. */
  metric?: number;
}

export interface ModelCheckpointOptions {
  /** Save at every global step that is a multiple of this (MindSpore's save_checkpoint_steps). */
  saveCheckpointSteps: number;
  /** How many checkpoints to keep (MindSpore's keep_checkpoint_max). */
  keepCheckpointMax: number;
  /** Receives each checkpoint; training continues only after it resolves. */
  sink: (checkpoint: Uint8Array, meta: CheckpointMeta) => Promise<void> | void;
  /** Steps of checkpoints that already exist (a resumed run), so the keep policy counts them. */
  existingSteps?: number[];
  /** Also save at the end of every epoch. */
  everyEpoch?: boolean;
  /** Keep the best checkpoint by this metric (saved at epoch ends) beside the newest keepCheckpointMax. */
  keepBest?: { monitor: Monitor };
}

/**
 * Saves model and optimizer state every `saveCheckpointSteps` global steps and once more at the end of
 * training if the last step was not already saved. Needs a Trainer built with modelSpec and optimizerSpec.
 */
export class ModelCheckpoint implements TrainingCallback {
  readonly stateKey = 'modelCheckpoint';
  private trainer!: Trainer;
  private saved: number[];
  private lastSaved = -1;
  private initialStep = 0;

  constructor(private readonly opts: ModelCheckpointOptions) {
    if (!Number.isInteger(opts.saveCheckpointSteps) || opts.saveCheckpointSteps < 1) {
      throw badInput(`saveCheckpointSteps must be a positive integer, got ${opts.saveCheckpointSteps}`);
    }
    validateKeepMax(opts.keepCheckpointMax);
    this.saved = [...(opts.existingSteps ?? [])];
  }

  setTrainer(trainer: Trainer): void {
    if (!trainer.modelSpec || !trainer.optimizerSpec) {
      throw new Error('ModelCheckpoint needs a Trainer constructed with modelSpec and optimizerSpec');
    }
    this.trainer = trainer;
  }

  onTrainBegin(logs: TrainBeginLogs): void {
    this.initialStep = logs.initialStep;
    this.batchesPerEpoch = logs.batchesPerEpoch;
  }

  private best?: { step: number; value: number };

  /** keepBest's best so far (checkpointed, so a resumed run still keeps it and compares against it). */
  getState(): { monitor: Monitor; best: { step: number; value: number } } | null {
    return this.opts.keepBest && this.best ? { monitor: this.opts.keepBest.monitor, best: this.best } : null;
  }

  setState(state: unknown): void {
    const s = state as { monitor?: unknown; best?: { step?: unknown; value?: unknown } } | null;
    if (!this.opts.keepBest || !s || s.monitor !== this.opts.keepBest.monitor) return;
    const { step, value } = s.best ?? {};
    if (Number.isInteger(step) && typeof value === 'number' && Number.isFinite(value)) this.best = { step: step as number, value };
  }

  async onStepEnd(logs: StepLogs): Promise<void> {
    if (logs.step % this.opts.saveCheckpointSteps === 0) await this.save(logs, false);
  }

  async onEpochEnd(logs: EpochLogs): Promise<void> {
    if (!this.opts.everyEpoch && !this.opts.keepBest) return;
    if (logs.steps === 0) return;
    let metric: number | undefined;
    if (this.opts.keepBest) {
      metric = monitoredValue(logs, this.opts.keepBest.monitor);
      if (metric !== undefined && !Number.isNaN(metric)) {
        const better = !this.best || (higherIsBetter(this.opts.keepBest.monitor) ? metric > this.best.value : metric < this.best.value);
        if (better) this.best = { step: logs.step, value: metric };
      }
    }
    // The epoch's last step is also the position: the next epoch starts at its first batch.
    const pos = { step: logs.step, epoch: logs.epoch, stepInEpoch: this.batchesPerEpoch };
    if (logs.step !== this.lastSaved) await this.save(pos, false, metric);
    else if (this.best?.step === logs.step) {
      // Already saved at this step (by the step policy): just keep it out of the keep policy's reach.
      this.saved = this.saved.filter((s) => s !== logs.step).concat(logs.step);
    }
  }

  private batchesPerEpoch = 0;

  async onTrainEnd(logs: TrainEndLogs): Promise<void> {
    if (logs.step !== this.lastSaved && logs.step > this.initialStep) await this.save(logs, true);
  }

  private async save(pos: { step: number; epoch: number; stepInEpoch: number }, final: boolean, metric?: number): Promise<void> {
    const { model, optimizer, modelSpec, optimizerSpec } = this.trainer;
    const bytes = await saveCheckpoint(model, optimizer, {
      step: pos.step,
      epoch: pos.epoch,
      stepInEpoch: pos.stepInEpoch,
      modelSpec: modelSpec!,
      optimizerSpec: optimizerSpec!,
      callbacks: this.trainer.callbackState(),
    });
    this.saved = [...this.saved.filter((s) => s !== pos.step), pos.step];
    const bestStep = this.best?.step;
    const expired = checkpointsToDelete(this.saved.filter((s) => s !== bestStep), this.opts.keepCheckpointMax);
    this.saved = this.saved.filter((s) => !expired.includes(s));
    this.lastSaved = pos.step;
    await this.opts.sink(bytes, {
      step: pos.step,
      epoch: pos.epoch,
      stepInEpoch: pos.stepInEpoch,
      final,
      expired,
      ...(bestStep !== undefined ? { bestStep } : {}),
      ...(metric !== undefined ? { metric } : {}),
    });
  }
}

/**
 * Keep policy: given the steps of existing checkpoints, the ones to delete so that only the `keepMax`
 * most recent (highest step) remain. Returned in ascending order; duplicates count once.
 */
export function checkpointsToDelete(existingSteps: readonly number[], keepMax: number): number[] {
  validateKeepMax(keepMax);
  const unique = [...new Set(existingSteps)].sort((a, b) => a - b);
  return unique.slice(0, Math.max(0, unique.length - keepMax));
}

function validateKeepMax(keepMax: number): void {
  if (!Number.isInteger(keepMax) || keepMax < 1) {
    throw badInput(`keepCheckpointMax must be a positive integer, got ${keepMax}`);
  }
}

export type { EpochSummaryData };

/** The JSON-safe summary of an epoch the worker stores. */
export function epochSummaryData(e: EpochLogs): EpochSummaryData {
  const num = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);
  return {
    meanLoss: num(e.meanLoss),
    accuracy: num(e.accuracy),
    learningRate: e.learningRate,
    samplesPerSecond: e.samplesPerSecond,
    steps: e.steps,
    val: e.val ?? null,
    layers: e.layers ?? [],
  };
}
