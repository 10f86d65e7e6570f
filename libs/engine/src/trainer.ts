/**
 * The training loop: a custom step (forward, loss, gradients, optimizer update inside one tidy) and
 * Keras/MindSpore-style lifecycle hooks. Progress, checkpoints, NaN checks and cancel are callbacks; the
 * loop only checks `stopTraining` after each step.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch, BatchSource } from '@trainyard/common';
import { badInput } from '@trainyard/common';
import { DEFAULT_LOSS, LossSpec, softmaxCrossEntropy, validateLossSpec } from './losses';
import type { ModelSpec } from './models';
import type { OptimizerSpec } from './optimizers';

export interface StepLogs {
  /** Global step, 1-based, counted across epochs and resumes. */
  step: number;
  /** 0-based epoch. */
  epoch: number;
  /** 1-based index of this step's batch within its epoch. */
  stepInEpoch: number;
  /** Samples in this step's batch. */
  batchSize: number;
  /**
   * This step's loss. Reading it syncs with the backend once (cached); callbacks that do not need it
   * every step should not touch it.
   */
  readonly loss: number;
  /** Training throughput over this epoch so far (time in callbacks excluded). */
  samplesPerSecond: number;
}

export interface EpochLogs {
  epoch: number;
  /** Steps run in this epoch by this fit() call (fewer than batchesPerEpoch after a resume or a stop). */
  steps: number;
  /** Mean loss over those steps (NaN when none ran). */
  meanLoss: number;
  samplesPerSecond: number;
}

export interface TrainBeginLogs {
  epochs: number;
  batchesPerEpoch: number;
  initialEpoch: number;
  initialStep: number;
  skipBatches: number;
}

export interface TrainEndLogs {
  /** Last global step run (initialStep when none ran). */
  step: number;
  epoch: number;
  stepInEpoch: number;
  /** True when stopTraining ended the run early. */
  stopped: boolean;
}

/** Lifecycle hooks, all optional, all awaited in order. Throwing from one fails the run. */
export interface TrainingCallback {
  /** Called once before onTrainBegin with the trainer running it (model, optimizer, stop flag). */
  setTrainer?(trainer: Trainer): void;
  onTrainBegin?(logs: TrainBeginLogs): void | Promise<void>;
  onEpochBegin?(epoch: number): void | Promise<void>;
  onStepEnd?(logs: StepLogs): void | Promise<void>;
  onEpochEnd?(logs: EpochLogs): void | Promise<void>;
  onTrainEnd?(logs: TrainEndLogs): void | Promise<void>;
}

export interface FitOptions {
  epochs: number;
  /** Global steps already done (from a checkpoint); the first step run is initialStep + 1. */
  initialStep?: number;
  /** Epoch to start at (0-based). */
  initialEpoch?: number;
  /** Batches of initialEpoch to skip (already trained before the checkpoint). */
  skipBatches?: number;
  callbacks?: TrainingCallback[];
}

export interface FitResult extends TrainEndLogs {
  /** Steps run by this call. */
  stepsRun: number;
}

export interface TrainerOptions {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  loss?: LossSpec;
  /** Carried into checkpoints (ModelCheckpoint needs both). */
  modelSpec?: ModelSpec;
  optimizerSpec?: OptimizerSpec;
}

export class Trainer {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly loss: LossSpec;
  readonly modelSpec?: ModelSpec;
  readonly optimizerSpec?: OptimizerSpec;
  /** Set to true (by a callback or from outside) to stop after the current step. */
  stopTraining = false;

  constructor(opts: TrainerOptions) {
    this.model = opts.model;
    this.optimizer = opts.optimizer;
    this.loss = validateLossSpec(opts.loss ?? DEFAULT_LOSS);
    this.modelSpec = opts.modelSpec;
    this.optimizerSpec = opts.optimizerSpec;
  }

  /** One optimizer step on one batch; returns the loss tensor (caller disposes). */
  trainStep(batch: Batch): tf.Scalar {
    const numClasses = (this.model.outputs[0].shape as number[])[1];
    const vars = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    return tf.tidy(() => {
      const x = tf.tensor(batch.x, batch.xShape, 'float32');
      const labels = tf.tensor1d(batch.y, 'int32');
      const target = this.loss.sparse ? labels : tf.oneHot(labels, numClasses, 1, 0, 'int32').toFloat();
      const cost = this.optimizer.minimize(
        () => softmaxCrossEntropy(this.model.apply(x, { training: true }) as tf.Tensor2D, target, this.loss.sparse ?? true),
        true,
        vars,
      );
      return cost as tf.Scalar;
    });
  }

  async fit(data: BatchSource, opts: FitOptions): Promise<FitResult> {
    const epochs = opts.epochs;
    const initialEpoch = opts.initialEpoch ?? 0;
    const initialStep = opts.initialStep ?? 0;
    const skipBatches = opts.skipBatches ?? 0;
    const callbacks = opts.callbacks ?? [];
    if (!Number.isInteger(epochs) || epochs < 1) throw badInput(`epochs must be a positive integer, got ${epochs}`);
    if (!Number.isInteger(initialEpoch) || initialEpoch < 0) throw badInput(`initialEpoch must be >= 0, got ${initialEpoch}`);
    if (!Number.isInteger(initialStep) || initialStep < 0) throw badInput(`initialStep must be >= 0, got ${initialStep}`);
    if (!Number.isInteger(skipBatches) || skipBatches < 0) throw badInput(`skipBatches must be >= 0, got ${skipBatches}`);

    this.stopTraining = false;
    for (const cb of callbacks) cb.setTrainer?.(this);
    const each = async <K extends keyof TrainingCallback>(hook: K, arg: unknown) => {
      for (const cb of callbacks) {
        const fn = cb[hook] as ((a: unknown) => void | Promise<void>) | undefined;
        if (fn) await fn.call(cb, arg);
      }
    };

    let step = initialStep;
    let lastEpoch = initialEpoch;
    let lastStepInEpoch = skipBatches;
    let stepsRun = 0;
    await each('onTrainBegin', {
      epochs,
      batchesPerEpoch: data.batchesPerEpoch,
      initialEpoch,
      initialStep,
      skipBatches,
    } satisfies TrainBeginLogs);

    for (let epoch = initialEpoch; epoch < epochs && !this.stopTraining; epoch++) {
      await each('onEpochBegin', epoch);
      const skip = epoch === initialEpoch ? skipBatches : 0;
      let stepInEpoch = 0;
      let epochSteps = 0;
      let epochSamples = 0;
      let computeMs = 0;
      let lossSum: tf.Scalar | null = null;
      let t0 = performance.now();
      for await (const batch of data.epoch(epoch)) {
        stepInEpoch++;
        if (stepInEpoch <= skip) {
          t0 = performance.now();
          continue;
        }
        const cost = this.trainStep(batch);
        const prev: tf.Scalar | null = lossSum;
        lossSum = tf.keep(prev ? (tf.add(prev, cost) as tf.Scalar) : cost.clone());
        prev?.dispose();
        step++;
        stepsRun++;
        epochSteps++;
        epochSamples += batch.y.length;
        computeMs += performance.now() - t0;
        lastEpoch = epoch;
        lastStepInEpoch = stepInEpoch;
        await each('onStepEnd', stepLogs(step, epoch, stepInEpoch, batch.y.length, cost, (epochSamples * 1000) / computeMs));
        cost.dispose();
        // Let timers and I/O run between steps (BullMQ lock renewal, thread messages).
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.stopTraining) break;
        t0 = performance.now();
      }
      const meanLoss: number = lossSum ? (await lossSum.data())[0] / epochSteps : NaN;
      (lossSum as tf.Scalar | null)?.dispose();
      await each('onEpochEnd', {
        epoch,
        steps: epochSteps,
        meanLoss,
        samplesPerSecond: computeMs > 0 ? (epochSamples * 1000) / computeMs : 0,
      } satisfies EpochLogs);
    }
    const end: TrainEndLogs = { step, epoch: lastEpoch, stepInEpoch: lastStepInEpoch, stopped: this.stopTraining };
    await each('onTrainEnd', end);
    return { ...end, stepsRun };
  }
}

function stepLogs(
  step: number,
  epoch: number,
  stepInEpoch: number,
  batchSize: number,
  cost: tf.Scalar,
  samplesPerSecond: number,
): StepLogs {
  let loss: number | undefined;
  return {
    step,
    epoch,
    stepInEpoch,
    batchSize,
    samplesPerSecond,
    get loss() {
      if (loss === undefined) {
        if (cost.isDisposed) throw new Error('StepLogs.loss read after onStepEnd returned');
        loss = cost.dataSync()[0];
      }
      return loss;
    },
  };
}

/**
 * Where to pick up after a checkpoint taken at `pos`: the epoch to start and the batches of it to skip.
 * The data source's epoch(e) is deterministic, so this reproduces the uninterrupted run.
 */
export function resumePoint(
  pos: { step: number; epoch: number; stepInEpoch: number },
  batchesPerEpoch: number,
): Required<Pick<FitOptions, 'initialStep' | 'initialEpoch' | 'skipBatches'>> {
  return pos.stepInEpoch >= batchesPerEpoch
    ? { initialStep: pos.step, initialEpoch: pos.epoch + 1, skipBatches: 0 }
    : { initialStep: pos.step, initialEpoch: pos.epoch, skipBatches: pos.stepInEpoch };
}
