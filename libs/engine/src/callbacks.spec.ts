import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@trainyard/common';
import { initBackend } from './backend';
import { CheckpointMeta, EarlyStopping, LossMonitor, LossReport, ModelCheckpoint, TimeBudget } from './callbacks';
import { ModelSpec, buildModel } from './models';
import { OptimizerSpec, buildOptimizer } from './optimizers';
import { loadCheckpoint, restore } from './checkpoint';
import { EpochLogs, Trainer, TrainingCallback, resumePoint } from './trainer';
import { syntheticSource } from './testing/synthetic';

const modelSpec: ModelSpec = { name: 'mlp', params: { hidden: [16] }, inputShape: [8, 8, 1], numClasses: 10, seed: 3 };
const optimizerSpec: OptimizerSpec = { name: 'SGD', learningRate: 0.05 };
const trainer = (over: Partial<ConstructorParameters<typeof Trainer>[0]> = {}) =>
  new Trainer({ model: buildModel(modelSpec), optimizer: buildOptimizer(optimizerSpec), modelSpec, optimizerSpec, ...over });
const source = () => syntheticSource({ batches: 3, batchSize: 4, shape: [8, 8, 1] });

/** Feeds fixed validation results, epoch by epoch, so a callback's decision can be predicted. */
const scripted = (values: Array<{ loss: number; accuracy: number }>) => {
  let i = 0;
  return async () => values[Math.min(i++, values.length - 1)];
};

beforeAll(() => initBackend('cpu'));

describe('EarlyStopping', () => {
  it('stops after patience epochs without an improvement larger than minDelta', async () => {
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 2, minDelta: 0.01 });
    const epochs: number[] = [];
    const result = await trainer().fit(source(), {
      epochs: 10,
      // improves at 1, then only by less than minDelta: 2 and 3 do not count, stop after epoch 3
      validate: scripted([{ loss: 1, accuracy: 0.1 }, { loss: 0.9, accuracy: 0.2 }, { loss: 0.895, accuracy: 0.2 }, { loss: 0.91, accuracy: 0.2 }, { loss: 0.1, accuracy: 0.9 }]),
      callbacks: [es, { onEpochEnd: (l: EpochLogs) => void epochs.push(l.epoch) }],
    });
    expect(epochs).toEqual([0, 1, 2, 3]);
    expect(es.stoppedEpoch).toBe(3);
    expect(result).toMatchObject({ stopped: true, stopReason: 'early-stopping', step: 12 });
  });

  it('higher is better for accuracy monitors', async () => {
    const es = new EarlyStopping({ monitor: 'val_accuracy', patience: 1, minDelta: 0 });
    const result = await trainer().fit(source(), {
      epochs: 10,
      validate: scripted([{ loss: 1, accuracy: 0.5 }, { loss: 2, accuracy: 0.6 }, { loss: 0.5, accuracy: 0.55 }]),
      callbacks: [es],
    });
    expect(es.stoppedEpoch).toBe(2);
    expect(result.stopReason).toBe('early-stopping');
  });
});

describe('TimeBudget', () => {
  it('ends the run when the budget is spent, and ModelCheckpoint still writes the final checkpoint', async () => {
    let now = 0;
    const saved: CheckpointMeta[] = [];
    const result = await trainer().fit(source(), {
      epochs: 100,
      callbacks: [
        { onStepEnd: () => void (now += 1000) } as TrainingCallback,
        new TimeBudget(5, () => now),
        new ModelCheckpoint({ saveCheckpointSteps: 1000, keepCheckpointMax: 3, sink: (_b, m) => void saved.push(m) }),
      ],
    });
    expect(result).toMatchObject({ stopped: true, stopReason: 'time-budget', step: 5 });
    expect(saved.map((m) => [m.step, m.final])).toEqual([[5, true]]);
  });
});

describe('ModelCheckpoint per epoch, keeping the best beside the newest K', () => {
  it('saves at each epoch end and never expires the best by val_accuracy', async () => {
    const saved: CheckpointMeta[] = [];
    await trainer().fit(source(), {
      epochs: 5,
      validate: scripted([
        { loss: 1, accuracy: 0.2 },
        { loss: 1, accuracy: 0.9 },
        { loss: 1, accuracy: 0.5 },
        { loss: 1, accuracy: 0.6 },
        { loss: 1, accuracy: 0.7 },
      ]),
      callbacks: [
        new ModelCheckpoint({ saveCheckpointSteps: 1000, keepCheckpointMax: 2, everyEpoch: true, keepBest: { monitor: 'val_accuracy' }, sink: (_b, m) => void saved.push(m) }),
      ],
    });
    expect(saved.map((m) => m.step)).toEqual([3, 6, 9, 12, 15]);
    expect(saved.map((m) => m.metric)).toEqual([0.2, 0.9, 0.5, 0.6, 0.7]);
    expect(saved.map((m) => m.bestStep)).toEqual([3, 6, 6, 6, 6]);
    // the best (step 6) is kept beside the newest 2 others: 3 goes when 12 arrives, 9 when 15 arrives
    expect(saved.map((m) => m.expired)).toEqual([[], [], [], [3], [9]]);
    expect(saved.every((m) => m.stepInEpoch === 3)).toBe(true);
  });
});

describe('Trainer run control', () => {
  it('records the learning rate a schedule sets with each loss report', async () => {
    const reports: LossReport[] = [];
    await trainer({ schedule: { name: 'step', warmupSteps: 2, stepSize: 3, gamma: 0.5 } }).fit(source(), {
      epochs: 3,
      callbacks: [new LossMonitor(1, (r) => void reports.push(r))],
    });
    // warm-up 0.025, 0.05; then 0.05 for 3 steps, 0.025 for 3, 0.0125 for the last
    expect(reports.map((r) => r.lr)).toEqual([0.025, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125]);
  });

  it('clips the global gradient norm: a tiny clip moves the weights by at most lr·clip', async () => {
    const t = trainer({ clipGlobalNorm: 1e-3 });
    const before = t.model.getWeights().map((w) => Array.from(w.dataSync()));
    await t.fit(syntheticSource({ batches: 1, batchSize: 4, shape: [8, 8, 1] }), { epochs: 1 });
    const after = t.model.getWeights().map((w) => Array.from(w.dataSync()));
    const moved = Math.sqrt(after.reduce((s, a, i) => s + a.reduce((u, v, j) => u + (v - before[i][j]) ** 2, 0), 0));
    expect(moved).toBeGreaterThan(0);
    // one SGD step of lr 0.05 on gradients rescaled to norm 1e-3 (float32 rounding aside)
    expect(moved).toBeCloseTo(0.05 * 1e-3, 7);
  });

  it('L2 adds l2/2·Σw² over kernels to the loss', async () => {
    const batch = [...(syntheticSource({ batches: 1, batchSize: 4, shape: [8, 8, 1] }).epoch(0) as Iterable<Batch>)][0];
    const plain = trainer();
    const withL2 = trainer({ l2: 0.1 });
    const kernels = plain.model.trainableWeights.filter((w) => w.shape.length >= 2).map((w) => w.read());
    const penalty = tf.tidy(() => tf.addN(kernels.map((k) => tf.sum(tf.square(k)))).dataSync()[0] * 0.05);
    const a = plain.trainStep(batch);
    const b = withL2.trainStep(batch);
    expect(b.dataSync()[0] - a.dataSync()[0]).toBeCloseTo(penalty, 4);
    tf.dispose([a, b]);
  });

  it('epoch logs carry train accuracy, validation and per-layer weight/gradient norms', async () => {
    const logs: EpochLogs[] = [];
    await trainer({ trackAccuracy: true }).fit(source(), {
      epochs: 1,
      layerNorms: true,
      validate: async () => ({ loss: 0.5, accuracy: 0.25 }),
      callbacks: [{ onEpochEnd: (l: EpochLogs) => void logs.push(l) }],
    });
    const l = logs[0];
    expect(l.accuracy).toBeGreaterThanOrEqual(0);
    expect(l.accuracy).toBeLessThanOrEqual(1);
    expect(l.val).toEqual({ loss: 0.5, accuracy: 0.25 });
    expect(l.layers!.map((x) => x.name)).toEqual(['fc1', 'fc2']);
    expect(l.layers!.every((x) => x.weightNorm > 0 && x.gradNorm !== null && x.gradNorm > 0)).toBe(true);
  });
});

describe('run control across a resume (state carried in the checkpoint)', () => {
  // Validation results by epoch: improves at 0 and 1, then no better for good.
  const vals = [0.9, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1].map((loss) => ({ loss, accuracy: 1 - loss }));
  const byEpoch = (first: number) => {
    let e = first;
    return async () => vals[Math.min(e++, vals.length - 1)];
  };

  it('EarlyStopping keeps its best and patience count: the resumed run stops where the uninterrupted one did', async () => {
    const whole = await trainer().fit(source(), { epochs: 8, validate: byEpoch(0), callbacks: [new EarlyStopping({ monitor: 'val_loss', patience: 3, minDelta: 0 })] });
    expect(whole).toMatchObject({ stopReason: 'early-stopping', epoch: 4, step: 15 });

    // Interrupted after epoch 2 (one epoch without improvement counted), checkpoint at its end.
    const saved: Uint8Array[] = [];
    const first = trainer();
    await first.fit(source(), {
      epochs: 8,
      validate: byEpoch(0),
      callbacks: [
        new EarlyStopping({ monitor: 'val_loss', patience: 3, minDelta: 0 }),
        new ModelCheckpoint({ saveCheckpointSteps: 1000, keepCheckpointMax: 5, everyEpoch: true, sink: (b) => void saved.push(b) }),
        { onEpochEnd: (l: EpochLogs) => void (l.epoch === 2 && first.stop('requested')) } as TrainingCallback,
      ],
    });
    const ckpt = loadCheckpoint(saved[saved.length - 1]);
    expect(ckpt.header.step).toBe(9);
    expect(ckpt.header.callbacks).toEqual({ earlyStopping: { monitor: 'val_loss', best: 0.5, wait: 1 }, modelCheckpoint: null });

    const resumed = trainer();
    await restore(resumed.model, resumed.optimizer, ckpt);
    const result = await resumed.fit(source(), {
      epochs: 8,
      ...resumePoint(ckpt.header, 3),
      callbackState: ckpt.header.callbacks,
      validate: byEpoch(3),
      callbacks: [new EarlyStopping({ monitor: 'val_loss', patience: 3, minDelta: 0 })],
    });
    expect(result).toMatchObject({ stopReason: 'early-stopping', epoch: 4, step: 15 });

    // Without the state, a resumed run would start counting again and go on longer.
    const fresh = trainer();
    await restore(fresh.model, fresh.optimizer, ckpt);
    const forgetful = await fresh.fit(source(), { epochs: 8, ...resumePoint(ckpt.header, 3), validate: byEpoch(3), callbacks: [new EarlyStopping({ monitor: 'val_loss', patience: 3, minDelta: 0 })] });
    expect(forgetful.epoch).toBeGreaterThan(4);
  });

  it('the time budget counts the time spent before the checkpoint', async () => {
    let now = 0;
    const tick = { onStepEnd: () => void (now += 1000) } as TrainingCallback;
    const saved: Uint8Array[] = [];
    const first = trainer();
    await first.fit(source(), {
      epochs: 100,
      callbacks: [
        tick,
        new TimeBudget(5, () => now),
        new ModelCheckpoint({ saveCheckpointSteps: 3, keepCheckpointMax: 5, sink: (b) => void saved.push(b) }),
        { onStepEnd: (l) => void (l.step === 3 && first.stop('requested')) } as TrainingCallback,
      ],
    });
    const ckpt = loadCheckpoint(saved[0]);
    expect(ckpt.header.step).toBe(3);
    expect(ckpt.header.callbacks?.timeBudget).toEqual({ elapsedMs: 3000 });

    // The next attempt starts on another clock: 2 more seconds (steps) end the 5-second budget.
    now = 1_000_000;
    const resumed = trainer();
    await restore(resumed.model, resumed.optimizer, ckpt);
    const result = await resumed.fit(source(), { epochs: 100, ...resumePoint(ckpt.header, 3), callbackState: ckpt.header.callbacks, callbacks: [tick, new TimeBudget(5, () => now)] });
    expect(result).toMatchObject({ stopped: true, stopReason: 'time-budget', step: 5 });
  });

  it('keep-best remembers its best across a resume, and ignores state for another metric', () => {
    const mc = new ModelCheckpoint({ saveCheckpointSteps: 10, keepCheckpointMax: 1, keepBest: { monitor: 'val_loss' }, sink: () => undefined });
    mc.setState({ monitor: 'val_accuracy', best: { step: 3, value: 0.9 } });
    expect(mc.getState()).toBeNull();
    mc.setState({ monitor: 'val_loss', best: { step: 6, value: 0.4 } });
    expect(mc.getState()).toEqual({ monitor: 'val_loss', best: { step: 6, value: 0.4 } });
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 1, minDelta: 0 });
    es.setState({ monitor: 'val_loss', best: 'x', wait: -1 });
    expect(es.getState()).toEqual({ monitor: 'val_loss', best: null, wait: 0 });
  });
});
