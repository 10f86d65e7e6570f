import * as tf from '@tensorflow/tfjs';
import type { Batch, BatchSource } from '@trainyard/common';
import { initBackend } from './backend';
import { CheckpointMeta, LossMonitor, LossReport, ModelCheckpoint, TerminateOnNaN, TrainingDivergedError, checkpointsToDelete } from './callbacks';
import { loadCheckpoint, restore } from './checkpoint';
import { ModelSpec, buildModel } from './models';
import { OptimizerSpec, buildOptimizer } from './optimizers';
import { Trainer, TrainingCallback, resumePoint } from './trainer';
import { syntheticSource } from './testing/synthetic';

const modelSpec: ModelSpec = { name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, seed: 11 };
const optimizerSpec: OptimizerSpec = { name: 'Momentum', learningRate: 0.01, momentum: 0.9 };
const trainer = (over: Partial<ConstructorParameters<typeof Trainer>[0]> = {}) =>
  new Trainer({ model: buildModel(modelSpec), optimizer: buildOptimizer(optimizerSpec), modelSpec, optimizerSpec, ...over });

beforeAll(() => initBackend('wasm'));

describe('Trainer.fit', () => {
  it('calls the hooks in order, awaiting async ones', async () => {
    const events: string[] = [];
    const recorder: TrainingCallback = {
      onTrainBegin: async (l) => {
        await new Promise((r) => setTimeout(r, 5));
        events.push(`trainBegin e${l.epochs} b${l.batchesPerEpoch}`);
      },
      onEpochBegin: (e) => void events.push(`epochBegin ${e}`),
      onStepEnd: async (l) => {
        await new Promise((r) => setTimeout(r, 1));
        events.push(`step ${l.step} (${l.epoch}.${l.stepInEpoch})`);
      },
      onEpochEnd: (l) => void events.push(`epochEnd ${l.epoch} steps ${l.steps} finite ${Number.isFinite(l.meanLoss)}`),
      onTrainEnd: (l) => void events.push(`trainEnd ${l.step} stopped ${l.stopped}`),
    };
    const second: TrainingCallback = { onStepEnd: (l) => void events.push(`second ${l.step}`) };
    const result = await trainer().fit(syntheticSource({ batches: 2, batchSize: 4 }), { epochs: 2, callbacks: [recorder, second] });
    expect(events).toEqual([
      'trainBegin e2 b2',
      'epochBegin 0',
      'step 1 (0.1)',
      'second 1',
      'step 2 (0.2)',
      'second 2',
      'epochEnd 0 steps 2 finite true',
      'epochBegin 1',
      'step 3 (1.1)',
      'second 3',
      'step 4 (1.2)',
      'second 4',
      'epochEnd 1 steps 2 finite true',
      'trainEnd 4 stopped false',
    ]);
    expect(result).toEqual({ step: 4, epoch: 1, stepInEpoch: 2, stopped: false, stepsRun: 4 });
  });

  it('stops after the step that set stopTraining', async () => {
    const t = trainer();
    const steps: number[] = [];
    const result = await t.fit(syntheticSource({ batches: 3, batchSize: 4 }), {
      epochs: 5,
      callbacks: [{ onStepEnd: (l) => void (steps.push(l.step), l.step === 4 && (t.stopTraining = true)) }],
    });
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(result).toMatchObject({ step: 4, epoch: 1, stepInEpoch: 1, stopped: true });
  });

  it('lowers the loss on a learnable synthetic task', async () => {
    const losses: number[] = [];
    await trainer().fit(syntheticSource({ batches: 4, batchSize: 16 }), {
      epochs: 4,
      callbacks: [{ onEpochEnd: (l) => void losses.push(l.meanLoss) }],
    });
    expect(losses[3]).toBeLessThan(losses[0] * 0.9);
  });

  it('one-hot (sparse: false) training matches sparse training', async () => {
    const data = syntheticSource({ batches: 1, batchSize: 8 });
    const batch = [...(data.epoch(0) as Iterable<Batch>)][0];
    const a = trainer().trainStep(batch);
    const b = trainer({ loss: { name: 'SoftmaxCrossEntropyWithLogits', sparse: false } }).trainStep(batch);
    expect(b.dataSync()[0]).toBeCloseTo(a.dataSync()[0], 5);
    tf.dispose([a, b]);
  });

  it('TerminateOnNaN fails the run naming the step and the loss', async () => {
    const t = trainer({ optimizer: buildOptimizer({ name: 'SGD', learningRate: 1e6 }) });
    const seen: number[] = [];
    const error = await t
      .fit(syntheticSource({ batches: 4, batchSize: 16 }), {
        epochs: 3,
        callbacks: [new TerminateOnNaN(), { onStepEnd: (l) => void seen.push(l.step) }],
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect(error.message).toBe(`training diverged: loss is ${error.loss} at step ${error.step}`);
    expect(Number.isFinite(error.loss)).toBe(false);
    // Nothing after the diverged step ran.
    expect(seen).toEqual(Array.from({ length: error.step - 1 }, (_, i) => i + 1));
  });

  it('LossMonitor reports every perPrintTimes steps', async () => {
    const reports: LossReport[] = [];
    await trainer().fit(syntheticSource({ batches: 5, batchSize: 4 }), { epochs: 1, callbacks: [new LossMonitor(2, (r) => void reports.push(r))] });
    expect(reports.map((r) => r.step)).toEqual([2, 4]);
    expect(reports.every((r) => Number.isFinite(r.loss) && r.loss > 0 && r.samplesPerSecond > 0)).toBe(true);
    expect(() => new LossMonitor(0, () => undefined)).toThrow('perPrintTimes must be a positive integer, got 0');
  });

  it('ModelCheckpoint saves every N steps and at the end; resuming from one reproduces the run', async () => {
    const data = syntheticSource({ batches: 3, batchSize: 4 });
    const saved: Array<{ bytes: Uint8Array; meta: CheckpointMeta }> = [];
    const original = trainer();
    await original.fit(data, {
      epochs: 2,
      callbacks: [new ModelCheckpoint({ saveCheckpointSteps: 2, keepCheckpointMax: 2, sink: (bytes, meta) => void saved.push({ bytes, meta }) })],
    });
    expect(saved.map((s) => s.meta)).toEqual([
      { step: 2, epoch: 0, stepInEpoch: 2, final: false, expired: [] },
      { step: 4, epoch: 1, stepInEpoch: 1, final: false, expired: [] },
      { step: 6, epoch: 1, stepInEpoch: 3, final: false, expired: [2] },
    ]);

    // Resume from step 4 (epoch 1, after its first batch) with a differently initialized model.
    const ckpt = loadCheckpoint(saved[1].bytes);
    const resumed = trainer({ model: buildModel({ ...modelSpec, seed: 999 }), optimizer: buildOptimizer(optimizerSpec) });
    await restore(resumed.model, resumed.optimizer, ckpt);
    const start = resumePoint(ckpt.header, data.batchesPerEpoch);
    expect(start).toEqual({ initialStep: 4, initialEpoch: 1, skipBatches: 1 });
    const steps: number[] = [];
    await resumed.fit(data, { epochs: 2, ...start, callbacks: [{ onStepEnd: (l) => void steps.push(l.step) }] });
    expect(steps).toEqual([5, 6]);
    const a = original.model.getWeights().map((w) => w.dataSync());
    const b = resumed.model.getWeights().map((w) => w.dataSync());
    a.forEach((w, i) => expect(Buffer.compare(Buffer.from(b[i].buffer), Buffer.from(w.buffer))).toBe(0));
  });

  it('ModelCheckpoint needs the specs', async () => {
    const t = new Trainer({ model: buildModel(modelSpec), optimizer: buildOptimizer(optimizerSpec) });
    const cb = new ModelCheckpoint({ saveCheckpointSteps: 1, keepCheckpointMax: 1, sink: () => undefined });
    await expect(t.fit(syntheticSource({ batches: 1, batchSize: 2 }), { epochs: 1, callbacks: [cb] })).rejects.toThrow('modelSpec and optimizerSpec');
  });

  it('works with async-iterable sources and validates its options', async () => {
    const inner = syntheticSource({ batches: 2, batchSize: 2 });
    const asyncSource: BatchSource = {
      batchesPerEpoch: 2,
      async *epoch(e) {
        for (const b of inner.epoch(e) as Iterable<Batch>) yield b;
      },
    };
    const result = await trainer().fit(asyncSource, { epochs: 1 });
    expect(result.stepsRun).toBe(2);
    await expect(trainer().fit(inner, { epochs: 0 })).rejects.toThrow('epochs must be a positive integer, got 0');
  });
});

describe('checkpointsToDelete', () => {
  it('keeps the keepMax highest steps', () => {
    expect(checkpointsToDelete([10, 30, 20, 40], 2)).toEqual([10, 20]);
    expect(checkpointsToDelete([5, 5, 1], 1)).toEqual([1]);
    expect(checkpointsToDelete([1, 2], 5)).toEqual([]);
    expect(() => checkpointsToDelete([1], 0)).toThrow('keepCheckpointMax must be a positive integer, got 0');
  });
});

describe('resumePoint', () => {
  it('moves to the next epoch after a checkpoint at an epoch boundary', () => {
    expect(resumePoint({ step: 6, epoch: 1, stepInEpoch: 3 }, 3)).toEqual({ initialStep: 6, initialEpoch: 2, skipBatches: 0 });
    expect(resumePoint({ step: 5, epoch: 1, stepInEpoch: 2 }, 3)).toEqual({ initialStep: 5, initialEpoch: 1, skipBatches: 2 });
  });
});
