/** Built-in callbacks: LossMonitor, TerminateOnNaN, ModelCheckpoint, and the checkpoint keep policy. */
import { badInput } from '@trainyard/common';
import { saveCheckpoint } from './checkpoint';
import type { StepLogs, TrainBeginLogs, TrainEndLogs, Trainer, TrainingCallback } from './trainer';

export interface LossReport {
  step: number;
  epoch: number;
  stepInEpoch: number;
  loss: number;
  samplesPerSecond: number;
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
    const { step, epoch, stepInEpoch, loss, samplesPerSecond } = logs;
    await this.sink({ step, epoch, stepInEpoch, loss, samplesPerSecond });
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
}

/**
 * Saves model and optimizer state every `saveCheckpointSteps` global steps and once more at the end of
 * training if the last step was not already saved. Needs a Trainer built with modelSpec and optimizerSpec.
 */
export class ModelCheckpoint implements TrainingCallback {
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
  }

  async onStepEnd(logs: StepLogs): Promise<void> {
    if (logs.step % this.opts.saveCheckpointSteps === 0) await this.save(logs, false);
  }

  async onTrainEnd(logs: TrainEndLogs): Promise<void> {
    if (logs.step !== this.lastSaved && logs.step > this.initialStep) await this.save(logs, true);
  }

  private async save(pos: { step: number; epoch: number; stepInEpoch: number }, final: boolean): Promise<void> {
    const { model, optimizer, modelSpec, optimizerSpec } = this.trainer;
    const bytes = await saveCheckpoint(model, optimizer, {
      step: pos.step,
      epoch: pos.epoch,
      stepInEpoch: pos.stepInEpoch,
      modelSpec: modelSpec!,
      optimizerSpec: optimizerSpec!,
    });
    this.saved = [...this.saved.filter((s) => s !== pos.step), pos.step];
    const expired = checkpointsToDelete(this.saved, this.opts.keepCheckpointMax);
    this.saved = this.saved.filter((s) => !expired.includes(s));
    this.lastSaved = pos.step;
    await this.opts.sink(bytes, { step: pos.step, epoch: pos.epoch, stepInEpoch: pos.stepInEpoch, final, expired });
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
