/**
 * The training thread's main: builds data, model and optimizer from the request, trains with the
 * built-in callbacks, evaluates, and reports over parentPort (protocol.ts). Started by runner.ts
 * through training-worker.js.
 */
import { parentPort, workerData } from 'worker_threads';
import { TrainyardError, type Batch, type BatchSource } from '@trainyard/common';
// Only the thread's entry imports the data lib; the rest of the engine sees just Batch/BatchSource.
import * as data from '@trainyard/data';
import { initBackend } from '../backend';
import { EarlyStopping, LossMonitor, ModelCheckpoint, TerminateOnNaN, TimeBudget, TrainingDivergedError } from '../callbacks';
import { loadCheckpoint, modelFromCheckpoint, restore } from '../checkpoint';
import { evaluate } from '../evaluate';
import { freezeLayers, initFromCheckpoint } from '../finetune';
import { ModelSpec, buildModel } from '../models';
import { buildOptimizer, validateOptimizerSpec } from '../optimizers';
import { validateLossSpec } from '../losses';
import { checkpointSpecSchema, earlyStoppingSpecSchema, scheduleSpecSchema } from '../spec';
import { Trainer, resumePoint, type EpochLogs, type TrainingCallback } from '../trainer';
import type { HostMessage, SerializedError, ThreadData, ThreadMessage, TrainRequest, TrainResult } from './protocol';

type BuildBatchSource = (
  split: TrainRequest['train'],
  pipeline: unknown,
  opts: { seed: number; shuffle: boolean; dropRemainder?: boolean },
) => BatchSource & { sampleShape?: number[] };

const port = parentPort!;

/**
 * Every batch source this thread built. A sharded source runs a prefetch thread of its own; they are
 * all closed before this thread ends (an unused one, as when a run resumes from its final
 * checkpoint and trains no epoch, kept this thread alive, with its model's memory, for good).
 */
const sources: BatchSource[] = [];
const opened = <S extends BatchSource>(source: S): S => {
  sources.push(source);
  return source;
};
async function closeSources(): Promise<void> {
  for (const s of sources.splice(0)) await s.close?.().catch(() => undefined);
}
const post = (msg: ThreadMessage, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

const acks = new Map<number, () => void>();
port.on('message', (msg: HostMessage) => {
  if (msg.type === 'checkpoint-ack') {
    acks.get(msg.id)?.();
    acks.delete(msg.id);
  }
});

async function main(): Promise<void> {
  const { stopFlag } = workerData as ThreadData;
  const request = (workerData as ThreadData).request as TrainRequest;
  const stop = new Int32Array(stopFlag);
  const { spec } = request;

  const { name: backend } = await initBackend(request.backend ?? 'auto');
  post({ type: 'backend', name: backend });

  const { buildBatchSource } = (request.dataModule ? require(request.dataModule) : data) as { buildBatchSource: BuildBatchSource };
  const train = opened(buildBatchSource(request.train, spec.pipeline, { seed: spec.seed, shuffle: true }));

  const rawShape = 'kind' in request.train ? request.train.index.sampleShape : request.train.shape;
  const modelSpec = modelSpecFor(spec, rawShape, train);
  const optimizerSpec = validateOptimizerSpec(spec.optimizer);
  const loss = validateLossSpec(spec.loss);
  const checkpoint = checkpointSpecSchema.parse(spec.checkpoint);
  const trainer = new Trainer({
    model: buildModel(modelSpec),
    optimizer: buildOptimizer(optimizerSpec),
    loss,
    modelSpec,
    optimizerSpec,
    schedule: spec.schedule ? scheduleSpecSchema.parse(spec.schedule) : undefined,
    totalSteps: spec.epochs * train.batchesPerEpoch,
    l2: spec.l2,
    clipGlobalNorm: spec.clipGlobalNorm,
    trackAccuracy: true,
  });
  const numClasses = spec.model.numClasses;
  // A regression dataset's batches carry their targets; evaluation then reports MSE, MAE and R².
  const task = 'kind' in request.train && request.train.index.task === 'regression' ? ('regression' as const) : undefined;
  const validation = request.validation
    ? opened(buildBatchSource(request.validation, spec.pipeline, { seed: spec.seed, shuffle: false, dropRemainder: false }))
    : undefined;

  if (request.fineTune) {
    const { from, freezeLayers: frozen } = request.fineTune;
    if (from && !request.resume) initFromCheckpoint(trainer.model, loadCheckpoint(from), frozen);
    else freezeLayers(trainer.model, frozen);
  }

  let start = { initialStep: 0, initialEpoch: 0, skipBatches: 0 };
  let callbackState: Record<string, unknown> | undefined;
  if (request.resume) {
    const ckpt = loadCheckpoint(request.resume);
    await restore(trainer.model, trainer.optimizer, ckpt);
    start = resumePoint(ckpt.header, train.batchesPerEpoch);
    // EarlyStopping's best/wait, the time budget's clock and keep-best continue where they were.
    callbackState = ckpt.header.callbacks;
  }

  let nextId = 0;
  let pendingAck: Promise<void> = Promise.resolve();
  let lastEpochLoss = NaN;
  const stopWatch: TrainingCallback = {
    onTrainBegin: () => void (trainer.stopTraining ||= Atomics.load(stop, 0) === 1),
    onStepEnd: () => void (trainer.stopTraining ||= Atomics.load(stop, 0) === 1),
    onEpochEnd: (logs: EpochLogs) => {
      lastEpochLoss = logs.meanLoss;
      post({ type: 'epoch', logs });
    },
  };
  const runControl: TrainingCallback[] = [];
  if (spec.earlyStopping) runControl.push(new EarlyStopping(earlyStoppingSpecSchema.parse(spec.earlyStopping)));
  if (spec.timeBudgetSeconds) runControl.push(new TimeBudget(spec.timeBudgetSeconds));
  const result = await trainer.fit(train, {
    epochs: spec.epochs,
    ...start,
    callbackState,
    layerNorms: true,
    validate: validation
      ? async (model): Promise<Record<string, number> & { loss: number }> => {
          const m = await evaluate(model, validation.epoch(0) as Iterable<Batch>, numClasses, { loss, topK: spec.topK, task });
          if (task) return { loss: m.loss, mse: m.regression!.mse, mae: m.regression!.mae, r2: m.regression!.r2 };
          return { loss: m.loss, accuracy: m.accuracy, topKAccuracy: m.topKAccuracy, f1: m.f1, precision: m.precision, recall: m.recall };
        }
      : undefined,
    callbacks: [
      new TerminateOnNaN(),
      new LossMonitor(spec.perPrintTimes, (report) => post({ type: 'progress', report })),
      ...runControl,
      new ModelCheckpoint({
        saveCheckpointSteps: checkpoint.saveCheckpointSteps,
        keepCheckpointMax: checkpoint.keepCheckpointMax,
        everyEpoch: checkpoint.everyEpoch,
        keepBest: checkpoint.keepBest,
        existingSteps: request.existingCheckpointSteps,
        // Training goes on while the host stores a checkpoint, but never past the next one: each
        // checkpoint waits for the previous one's ack, so the host sees them in order, one at a time.
        sink: async (bytes, meta) => {
          await pendingAck;
          const id = nextId++;
          pendingAck = new Promise<void>((resolve) => acks.set(id, resolve));
          post({ type: 'checkpoint', id, bytes, meta }, [bytes.buffer as ArrayBuffer]);
        },
      }),
      stopWatch,
    ],
  });
  await pendingAck;

  const base = { backend, step: result.step, epoch: result.epoch, stepInEpoch: result.stepInEpoch, lastEpochLoss };
  let done: TrainResult;
  // Early stopping and the time budget end the run normally (evaluated); a requested stop does not.
  if (result.stopped && (result.stopReason ?? 'requested') === 'requested') {
    done = { ...base, stopped: true };
  } else {
    const test = opened(buildBatchSource(request.test, spec.pipeline, { seed: spec.seed, shuffle: false, dropRemainder: false }));
    const metrics = await evaluate(trainer.model, test.epoch(0) as Iterable<Batch>, numClasses, { loss, topK: spec.topK, classNames: request.classNames, task });
    const stopReason = result.stopReason === 'early-stopping' || result.stopReason === 'time-budget' ? result.stopReason : undefined;
    done = { ...base, stopped: false, metrics, ...(stopReason ? { stopReason } : {}) };
  }
  post({ type: 'done', result: done });
}

/** The evaluate job: one checkpoint on one split, no training (runner.ts runEvaluationThread). */
async function evaluateMain(): Promise<void> {
  const request = (workerData as ThreadData).evaluate!;
  const { name: backend } = await initBackend(request.backend ?? 'auto');
  post({ type: 'backend', name: backend });
  const { buildBatchSource } = (request.dataModule ? require(request.dataModule) : data) as { buildBatchSource: BuildBatchSource };
  const ckpt = loadCheckpoint(request.checkpoint);
  const model = modelFromCheckpoint(ckpt);
  try {
    const source = opened(buildBatchSource(request.split, request.pipeline, { seed: request.seed, shuffle: false, dropRemainder: false }));
    // A regression split's batches carry their targets: MSE, MAE and R² instead of class metrics.
    const task = 'kind' in request.split && request.split.index.task === 'regression' ? ('regression' as const) : undefined;
    const metrics = await evaluate(model, source.epoch(0) as Iterable<Batch> | AsyncIterable<Batch>, ckpt.header.modelSpec.numClasses, {
      ...(request.loss ? { loss: validateLossSpec(request.loss) } : {}),
      ...(request.topK ? { topK: request.topK } : {}),
      ...(request.classNames ? { classNames: request.classNames } : {}),
      ...(task ? { task } : {}),
    });
    post({ type: 'evaluated', result: { backend, step: ckpt.header.step, model: ckpt.header.modelSpec.name, metrics } });
  } finally {
    model.dispose();
  }
}

/** The model's input follows the pipeline's output: HWC, or CHW when the pipeline ends in HWC2CHW. */
function modelSpecFor(
  spec: TrainRequest['spec'],
  rawShape: [number, number, number],
  train: { sampleShape?: number[] },
): ModelSpec {
  const channelsFirst = ((spec.pipeline as { map?: Array<{ op: string }> })?.map ?? []).some((op) => op.op === 'HWC2CHW');
  const s = train.sampleShape ?? rawShape;
  return {
    name: spec.model.name,
    params: spec.model.params,
    inputShape: (channelsFirst ? [s[1], s[2], s[0]] : s) as [number, number, number],
    numClasses: spec.model.numClasses,
    dataFormat: channelsFirst ? 'channelsFirst' : 'channelsLast',
    seed: spec.seed,
  };
}

function serialize(e: unknown): SerializedError {
  const err = e instanceof Error ? e : new Error(String(e));
  const out: SerializedError = { name: err.name, message: err.message, stack: err.stack };
  if (err instanceof TrainyardError) Object.assign(out, { code: err.code, details: err.details });
  if (err instanceof TrainingDivergedError) Object.assign(out, { step: err.step, loss: err.loss });
  return out;
}

((workerData as ThreadData).evaluate ? evaluateMain : main)()
  .catch((e) => post({ type: 'error', error: serialize(e) }))
  .finally(async () => {
    await closeSources();
    port.close();
  });
