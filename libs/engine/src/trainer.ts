/**
 * The training loop: a custom step (forward, loss, gradients, optimizer update inside one tidy) and
 * Keras/MindSpore-style lifecycle hooks. Progress, checkpoints, NaN checks and cancel are callbacks; the
 * loop only checks `stopTraining` after each step.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch, BatchSource } from '@trainyard/common';
import { badInput } from '@trainyard/common';
import { DEFAULT_LOSS, LossFn, LossSpec, makeLoss, ResolvedLossSpec, validateLossSpec } from './losses';
import type { ModelSpec } from './models';
import { learningRateOf, setLearningRate, type OptimizerSpec } from './optimizers';
import { learningRateAt, type ScheduleSpec } from './spec';

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
  /** The learning rate this step was taken with. */
  learningRate: number;
}

export interface LayerNorms {
  name: string;
  /** L2 norm of all the layer's trainable weights at the end of the epoch. */
  weightNorm: number;
  /** L2 norm of their gradients at the epoch's last step (null when that step was not captured). */
  gradNorm: number | null;
}

/** Validation results of one epoch: loss, accuracy and any other metric (all numbers). */
export type ValidationLogs = { loss: number; accuracy?: number } & Record<string, number>;

export interface EpochLogs {
  epoch: number;
  /** Steps run in this epoch by this fit() call (fewer than batchesPerEpoch after a resume or a stop). */
  steps: number;
  /** Mean loss over those steps (NaN when none ran). */
  meanLoss: number;
  /** Training accuracy over those steps (classification losses; undefined otherwise). */
  accuracy?: number;
  samplesPerSecond: number;
  /** Global step at the end of the epoch. */
  step: number;
  /** Learning rate of the epoch's last step. */
  learningRate: number;
  /** Validation metrics, when a validation split was given and the epoch ran to its end. */
  val?: ValidationLogs;
  /** Per-layer weight and gradient norms (when FitOptions.layerNorms is set). */
  layers?: LayerNorms[];
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
  /** Why it stopped: 'requested' (cancel, stopTraining set from outside) or a callback's reason. */
  stopReason?: StopReason;
}

export type StopReason = 'requested' | 'early-stopping' | 'time-budget';

/** Lifecycle hooks, all optional, all awaited in order. Throwing from one fails the run. */
export interface TrainingCallback {
  /** Called once before onTrainBegin with the trainer running it (model, optimizer, stop flag). */
  setTrainer?(trainer: Trainer): void;
  onTrainBegin?(logs: TrainBeginLogs): void | Promise<void>;
  onEpochBegin?(epoch: number): void | Promise<void>;
  onStepEnd?(logs: StepLogs): void | Promise<void>;
  onEpochEnd?(logs: EpochLogs): void | Promise<void>;
  onTrainEnd?(logs: TrainEndLogs): void | Promise<void>;
  /**
   * Run-control state that must survive a resume (EarlyStopping's best and wait, TimeBudget's clock):
   * stored in each checkpoint under `stateKey` and handed back through FitOptions.callbackState.
   */
  readonly stateKey?: string;
  getState?(): unknown;
  /** Called before onTrainBegin when FitOptions.callbackState holds this callback's stateKey. */
  setState?(state: unknown): void;
}

/** The state of a run's stateful callbacks, by stateKey (JSON-safe; carried in checkpoints). */
export type CallbackState = Record<string, unknown>;

export interface FitOptions {
  epochs: number;
  /** Global steps already done (from a checkpoint); the first step run is initialStep + 1. */
  initialStep?: number;
  /** Epoch to start at (0-based). */
  initialEpoch?: number;
  /** Batches of initialEpoch to skip (already trained before the checkpoint). */
  skipBatches?: number;
  callbacks?: TrainingCallback[];
  /** Run after each epoch that ran to its end; its result is EpochLogs.val (callbacks see it). */
  validate?: (model: tf.LayersModel) => Promise<ValidationLogs>;
  /** Compute per-layer weight and gradient norms at each epoch's end (EpochLogs.layers). */
  layerNorms?: boolean;
  /** State of the stateful callbacks from the checkpoint this run resumes (CheckpointHeader.callbacks). */
  callbackState?: CallbackState;
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
  /** Learning-rate schedule over the base learningRate (the optimizer's at construction). */
  schedule?: ScheduleSpec;
  /** Total steps of the whole run (cosine's default horizon). */
  totalSteps?: number;
  /** L2 penalty l2/2·Σw² over kernels (rank >= 2), added to the loss. */
  l2?: number;
  /** Rescale gradients to this global norm at most. */
  clipGlobalNorm?: number;
  /** Count correct predictions each step for EpochLogs.accuracy (cross-entropy losses). Default false. */
  trackAccuracy?: boolean;
}

export class Trainer {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly loss: ResolvedLossSpec;
  readonly modelSpec?: ModelSpec;
  readonly optimizerSpec?: OptimizerSpec;
  readonly schedule?: ScheduleSpec;
  readonly baseLearningRate: number;
  totalSteps: number;
  readonly l2: number;
  readonly clipGlobalNorm?: number;
  /** Set to true (by a callback or from outside) to stop after the current step. */
  stopTraining = false;
  /** Why: set with stop(reason); 'requested' when stopTraining was set directly. */
  stopReason?: StopReason;
  /** Count correct argmax predictions per step (classification losses); EpochLogs.accuracy. */
  trackAccuracy: boolean;
  private readonly lossFn: LossFn;
  /** Set by trainStep when it counted correct predictions (caller disposes). */
  private lastCorrect: tf.Scalar | null = null;
  /** Per-variable gradient norms of the last captured step. */
  private lastGradNorms: Map<string, number> | null = null;
  /** The callbacks of the fit() in progress (for callbackState()). */
  private callbacks: TrainingCallback[] = [];

  constructor(opts: TrainerOptions) {
    this.model = opts.model;
    this.optimizer = opts.optimizer;
    this.loss = validateLossSpec(opts.loss ?? DEFAULT_LOSS);
    this.lossFn = makeLoss(this.loss);
    this.modelSpec = opts.modelSpec;
    this.optimizerSpec = opts.optimizerSpec;
    this.schedule = opts.schedule;
    this.baseLearningRate = learningRateOf(opts.optimizer);
    this.totalSteps = opts.totalSteps ?? 0;
    this.l2 = opts.l2 ?? 0;
    this.clipGlobalNorm = opts.clipGlobalNorm;
    this.trackAccuracy = (opts.trackAccuracy ?? false) && this.loss.name === 'SoftmaxCrossEntropyWithLogits';
  }

  /** Stops after the current step, recording why. */
  stop(reason: StopReason): void {
    this.stopTraining = true;
    this.stopReason ??= reason;
  }

  /** Sets the learning rate the schedule gives for global step `step` (1-based); returns it. */
  applySchedule(step: number): number {
    if (!this.schedule) return learningRateOf(this.optimizer);
    const lr = learningRateAt(this.schedule, this.baseLearningRate, step, this.totalSteps);
    setLearningRate(this.optimizer, lr);
    return lr;
  }

  /**
   * One optimizer step on one batch; returns the loss tensor (caller disposes). The walkthrough's case
   * (no L2, no clipping, no gradient capture) is tfjs' minimize(); otherwise the gradients are taken
   * explicitly (tf.variableGrads, what minimize does inside), clipped, then applied.
   */
  trainStep(batch: Batch, opts: { captureGradNorms?: boolean } = {}): tf.Scalar {
    const numClasses = (this.model.outputs[0].shape as number[])[1];
    const trainable = this.model.trainableWeights;
    const vars = trainable.map((w) => w.read() as tf.Variable);
    const sparse = this.loss.name !== 'SoftmaxCrossEntropyWithLogits' || this.loss.sparse;
    let logits: tf.Tensor2D | null = null;
    const track = this.trackAccuracy;
    const cost = tf.tidy(() => {
      const x = tf.tensor(batch.x, batch.xShape, 'float32');
      // Float targets (a regression value, or the pipeline's OneHot rows) go to the loss as they are.
      const target = batch.targets
        ? tf.tensor2d(batch.targets, [batch.y.length, batch.targets.length / batch.y.length], 'float32')
        : sparse
          ? tf.tensor1d(batch.y, 'int32')
          : tf.oneHot(tf.tensor1d(batch.y, 'int32'), numClasses, 1, 0, 'int32').toFloat();
      const f = () => {
        const out = this.model.apply(x, { training: true }) as tf.Tensor2D;
        if (track) logits = tf.keep(out);
        let loss = this.lossFn(out, target);
        if (this.l2 > 0) {
          const penalty = vars.filter((v) => v.rank >= 2).map((v) => tf.sum(tf.square(v)));
          if (penalty.length) loss = tf.add(loss, tf.mul(this.l2 / 2, tf.addN(penalty))) as tf.Scalar;
        }
        return loss;
      };
      if (!this.clipGlobalNorm && !opts.captureGradNorms) return this.optimizer.minimize(f, true, vars) as tf.Scalar;
      const { value, grads } = tf.variableGrads(f, vars);
      if (opts.captureGradNorms) {
        this.lastGradNorms = new Map(Object.entries(grads).map(([name, g]) => [name, Math.sqrt(tf.sum(tf.square(g)).dataSync()[0])]));
      }
      let applied = grads;
      if (this.clipGlobalNorm) {
        const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
        const scale = tf.div(this.clipGlobalNorm, tf.maximum(norm, this.clipGlobalNorm));
        applied = Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, tf.mul(g, scale)]));
      }
      this.optimizer.applyGradients(applied);
      return value;
    });
    if (logits) {
      const l = logits as tf.Tensor2D;
      this.lastCorrect?.dispose();
      this.lastCorrect = tf.tidy(() => tf.sum(tf.equal(tf.argMax(l, -1), tf.tensor1d(batch.y, 'int32')).toFloat()) as tf.Scalar);
      l.dispose();
    }
    return cost;
  }

  /** The current state of the running fit()'s stateful callbacks, by stateKey (what a checkpoint stores). */
  callbackState(): CallbackState {
    const out: CallbackState = {};
    for (const cb of this.callbacks) if (cb.stateKey && cb.getState) out[cb.stateKey] = cb.getState();
    return out;
  }

  /** Per-layer weight norms now, with the gradient norms of the last captured step. */
  layerNorms(): LayerNorms[] {
    const out: LayerNorms[] = [];
    for (const layer of this.model.layers) {
      const ws = layer.trainableWeights;
      if (!ws.length) continue;
      const weightNorm = Math.sqrt(ws.reduce((s, w) => s + tf.tidy(() => tf.sum(tf.square(w.read())).dataSync()[0]), 0));
      const g = this.lastGradNorms;
      const gradNorm = g && ws.every((w) => g.has((w.read() as tf.Variable).name)) ? Math.sqrt(ws.reduce((s, w) => s + g.get((w.read() as tf.Variable).name)! ** 2, 0)) : null;
      out.push({ name: layer.name, weightNorm, gradNorm });
    }
    return out;
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
    this.stopReason = undefined;
    if (!this.totalSteps) this.totalSteps = epochs * data.batchesPerEpoch;
    this.callbacks = callbacks;
    for (const cb of callbacks) cb.setTrainer?.(this);
    for (const cb of callbacks) {
      if (cb.stateKey && cb.setState && opts.callbackState && Object.hasOwn(opts.callbackState, cb.stateKey)) cb.setState(opts.callbackState[cb.stateKey]);
    }
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
      let correctSum: tf.Scalar | null = null;
      let lr = learningRateOf(this.optimizer);
      let t0 = performance.now();
      for await (const batch of data.epoch(epoch)) {
        stepInEpoch++;
        if (stepInEpoch <= skip) {
          data.release?.(batch);
          t0 = performance.now();
          continue;
        }
        lr = this.applySchedule(step + 1);
        const cost = this.trainStep(batch, { captureGradNorms: opts.layerNorms === true && stepInEpoch === data.batchesPerEpoch });
        const samples = batch.y.length;
        data.release?.(batch); // the step's tensors hold copies (or are disposed): the source may reuse its arrays
        const prev: tf.Scalar | null = lossSum;
        lossSum = tf.keep(prev ? (tf.add(prev, cost) as tf.Scalar) : cost.clone());
        prev?.dispose();
        if (this.lastCorrect) {
          const c = this.lastCorrect;
          this.lastCorrect = null;
          const prevC: tf.Scalar | null = correctSum;
          correctSum = prevC ? tf.keep(tf.add(prevC, c) as tf.Scalar) : c;
          if (prevC) {
            prevC.dispose();
            c.dispose();
          }
        }
        step++;
        stepsRun++;
        epochSteps++;
        epochSamples += samples;
        computeMs += performance.now() - t0;
        lastEpoch = epoch;
        lastStepInEpoch = stepInEpoch;
        await each('onStepEnd', stepLogs(step, epoch, stepInEpoch, samples, cost, (epochSamples * 1000) / computeMs, lr));
        cost.dispose();
        // Let timers and I/O run between steps (BullMQ lock renewal, thread messages).
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.stopTraining) break;
        t0 = performance.now();
      }
      const meanLoss: number = lossSum ? (await lossSum.data())[0] / epochSteps : NaN;
      (lossSum as tf.Scalar | null)?.dispose();
      const correct: number | undefined = correctSum ? (await (correctSum as tf.Scalar).data())[0] : undefined;
      (correctSum as tf.Scalar | null)?.dispose();
      const completed = stepInEpoch >= data.batchesPerEpoch && epochSteps > 0;
      const logs: EpochLogs = {
        epoch,
        steps: epochSteps,
        meanLoss,
        ...(correct !== undefined && epochSamples > 0 ? { accuracy: correct / epochSamples } : {}),
        samplesPerSecond: computeMs > 0 ? (epochSamples * 1000) / computeMs : 0,
        step,
        learningRate: lr,
      };
      // Validation and norms only for an epoch that ran to its end (not one cut by a cancel).
      if (completed && opts.validate && !(this.stopTraining && this.stopReason === 'requested')) logs.val = await opts.validate(this.model);
      if (completed && opts.layerNorms) logs.layers = this.layerNorms();
      await each('onEpochEnd', logs);
    }
    if (this.stopTraining) this.stopReason ??= 'requested';
    const end: TrainEndLogs = { step, epoch: lastEpoch, stepInEpoch: lastStepInEpoch, stopped: this.stopTraining, ...(this.stopReason ? { stopReason: this.stopReason } : {}) };
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
  learningRate: number,
): StepLogs {
  let loss: number | undefined;
  return {
    step,
    epoch,
    stepInEpoch,
    batchSize,
    samplesPerSecond,
    learningRate,
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
