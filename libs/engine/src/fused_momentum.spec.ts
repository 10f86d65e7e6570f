import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@trainyard/common';
import { initBackend } from './backend';
import { FusedMomentumOptimizer } from './fused_momentum';
import { nativeKernels, useNativeKernels } from './kernels';
import { buildModel } from './models';
import { buildOptimizer, optimizerNameOf } from './optimizers';
import { Trainer } from './trainer';
import { syntheticSource } from './testing/synthetic';

const modelSpec = { name: 'lenet5' as const, inputShape: [32, 32, 1] as [number, number, number], numClasses: 10, seed: 5 };
const data = [...(syntheticSource({ batches: 3, batchSize: 8 }).epoch(0) as Iterable<Batch>)];

/** Bits of every model weight and optimizer slot after three steps, plus the iteration count. */
async function train(optimizer: tf.Optimizer): Promise<{ bits: Uint32Array[]; iter: number; losses: number[] }> {
  const t = new Trainer({ model: buildModel(modelSpec), optimizer });
  const losses = data.map((b) => {
    const c = t.trainStep(b);
    const v = c.dataSync()[0];
    c.dispose();
    return v;
  });
  const slots = await optimizer.getWeights();
  const iter = slots[0].tensor.dataSync()[0];
  slots[0].tensor.dispose();
  const bits = [...t.model.weights.map((w) => w.read()), ...slots.slice(1).map((s) => s.tensor)].map(
    (x) => new Uint32Array(Float32Array.from(x.dataSync() as Float32Array).buffer),
  );
  t.model.dispose();
  optimizer.dispose();
  return { bits, iter, losses };
}

function expectSameBits(a: Uint32Array[], b: Uint32Array[]) {
  expect(b.length).toBe(a.length);
  a.forEach((x, i) => {
    let diff = 0;
    for (let j = 0; j < x.length; j++) if (x[j] !== b[i][j]) diff++;
    expect({ tensor: i, diff }).toEqual({ tensor: i, diff: 0 });
  });
}

describe('FusedMomentumOptimizer (wasm)', () => {
  beforeAll(() => initBackend('wasm'));
  afterEach(() => useNativeKernels(true));

  it('is what buildOptimizer returns for Momentum, still named Momentum', () => {
    const opt = buildOptimizer({ name: 'Momentum', learningRate: 0.01 });
    expect(opt).toBeInstanceOf(FusedMomentumOptimizer);
    expect(optimizerNameOf(opt)).toBe('Momentum');
    opt.dispose();
  });

  const paths = nativeKernels()?.momentumUpdate ? ['native', 'js'] : ['js'];
  describe.each(paths)('%s update', (path) => {
    it.each([false, true])('matches tf.train.momentum bit for bit (nesterov %s)', async (nesterov) => {
      useNativeKernels(path === 'native');
      // (tfjs' MomentumOptimizer.dispose() leaves its learning-rate scalar behind: compare growth.)
      const t0 = tf.memory().numTensors;
      const stock = await train(tf.train.momentum(0.05, 0.9, nesterov));
      const t1 = tf.memory().numTensors;
      const fused = new FusedMomentumOptimizer(0.05, 0.9, nesterov);
      const got = await train(fused);
      expect(fused.fusedSteps).toBe(3);
      expect(got.iter).toBe(3);
      expect(got.losses).toEqual(stock.losses);
      expectSameBits(stock.bits, got.bits);
      expect(tf.memory().numTensors - t1).toBe(t1 - t0);
    });
  });

  it('leaves a tensor that shares a slot buffer (after setWeights) untouched, and matches tfjs', async () => {
    const w = tf.variable(tf.tensor1d([1, -2, 3]));
    const opt = new FusedMomentumOptimizer(0.1, 0.9);
    const step = () => opt.minimize(() => tf.sum(tf.square(w)).div(2) as tf.Scalar, false, [w]);
    step();
    // setWeights wraps this tensor in the slot variable (same buffer) until we drop it.
    const shared = tf.tensor1d([0.5, 0.5, 0.5]);
    await opt.setWeights([{ name: 'iter', tensor: tf.scalar(1, 'int32') }, { name: `${w.name}/momentum`, tensor: shared }]);
    step();
    expect(Array.from(shared.dataSync())).toEqual([0.5, 0.5, 0.5]);
    const ref = tf.variable(tf.tensor1d([1, -2, 3]));
    const stock = tf.train.momentum(0.1, 0.9);
    const stockStep = () => stock.minimize(() => tf.sum(tf.square(ref)).div(2) as tf.Scalar, false, [ref]);
    stockStep();
    await stock.setWeights([{ name: 'iter', tensor: tf.scalar(1, 'int32') }, { name: `${ref.name}/momentum`, tensor: tf.tensor1d([0.5, 0.5, 0.5]) }]);
    stockStep();
    expect(Array.from(w.dataSync())).toEqual(Array.from(ref.dataSync()));
    tf.dispose([w, ref, shared]);
    opt.dispose();
    stock.dispose();
  });
});

describe('FusedMomentumOptimizer (cpu: tfjs ops)', () => {
  beforeAll(() => initBackend('cpu'));
  afterAll(() => initBackend('wasm'));

  it('equals tf.train.momentum', async () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const v = tf.variable(tf.tensor1d([1, -2]));
    const a = new FusedMomentumOptimizer(0.1, 0.9, true);
    const b = tf.train.momentum(0.1, 0.9, true);
    for (let i = 0; i < 3; i++) {
      a.minimize(() => tf.sum(tf.square(w)).div(2) as tf.Scalar, false, [w]);
      b.minimize(() => tf.sum(tf.square(v)).div(2) as tf.Scalar, false, [v]);
    }
    expect(a.fusedSteps).toBe(0);
    expect(Array.from(w.dataSync())).toEqual(Array.from(v.dataSync()));
    tf.dispose([w, v]);
    a.dispose();
    b.dispose();
  });
});
