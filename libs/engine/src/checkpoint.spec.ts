import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';
import { loadCheckpoint, modelFromCheckpoint, restore, saveCheckpoint } from './checkpoint';
import { ModelSpec, buildModel } from './models';
import { OptimizerSpec, buildOptimizer } from './optimizers';
import { Trainer } from './trainer';
import { syntheticSource } from './testing/synthetic';
import type { Batch } from '@trainyard/common';

const modelSpec: ModelSpec = { name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10 };

beforeAll(() => initBackend('wasm'));

async function batches(n: number): Promise<Batch[]> {
  return [...(syntheticSource({ batches: n, batchSize: 8 }).epoch(0) as Iterable<Batch>)];
}

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
/** Largest |a - b| over all weights (a cheap comparison; jest's diff of 60k numbers is slow). */
const maxDiff = (a: tf.LayersModel, b: tf.LayersModel) => {
  const wa = weightsOf(a);
  const wb = weightsOf(b);
  expect(wb.map((w) => w.length)).toEqual(wa.map((w) => w.length));
  return Math.max(...wa.map((w, i) => Math.max(...w.map((v, j) => Math.abs(v - wb[i][j])))));
};

describe.each<OptimizerSpec>([
  { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
  { name: 'AdamWeightDecay', learningRate: 0.001, weightDecay: 0.01 },
  { name: 'RMSProp', learningRate: 0.001 },
])('checkpoint with $name', (optimizerSpec) => {
  it('round-trips and resumes exactly: one more step gives identical loss and weights', async () => {
    const data = await batches(3);
    const original = new Trainer({ model: buildModel({ ...modelSpec, seed: 3 }), optimizer: buildOptimizer(optimizerSpec) });
    tf.dispose([original.trainStep(data[0]), original.trainStep(data[1])]);
    const bytes = await saveCheckpoint(original.model, original.optimizer, { step: 2, epoch: 0, stepInEpoch: 2, modelSpec, optimizerSpec });

    const loaded = loadCheckpoint(bytes);
    expect(loaded.header).toMatchObject({ step: 2, epoch: 0, stepInEpoch: 2, modelSpec, optimizerSpec, version: 1 });
    expect(loaded.model.map((t) => t.name)).toEqual(original.model.weights.map((w) => w.originalName));
    expect(loaded.optimizer[0]).toMatchObject({ name: 'iter', dtype: 'int32' });
    expect(loaded.optimizer[0].data[0]).toBe(2);

    const resumed = new Trainer({ model: buildModel({ ...modelSpec, seed: 99 }), optimizer: buildOptimizer(optimizerSpec) });
    expect(maxDiff(resumed.model, original.model)).toBeGreaterThan(0);
    await restore(resumed.model, resumed.optimizer, loaded);
    expect(maxDiff(resumed.model, original.model)).toBe(0);

    const a = original.trainStep(data[2]);
    const b = resumed.trainStep(data[2]);
    expect(b.dataSync()[0]).toBe(a.dataSync()[0]);
    expect(maxDiff(resumed.model, original.model)).toBe(0);
    tf.dispose([a, b]);
  });
});

describe('checkpoint bytes', () => {
  let bytes: Uint8Array;
  let model: tf.LayersModel;
  beforeAll(async () => {
    model = buildModel({ ...modelSpec, seed: 5 });
    const optimizer = buildOptimizer({ name: 'SGD', learningRate: 0.1 });
    bytes = await saveCheckpoint(model, optimizer, {
      step: 0,
      epoch: 0,
      stepInEpoch: 0,
      modelSpec,
      optimizerSpec: { name: 'SGD', learningRate: 0.1 },
    });
  });

  it('starts with the magic and carries all 61,706 parameters as float32', () => {
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('TRNYCKPT');
    const { model: tensors } = loadCheckpoint(bytes);
    expect(tensors.reduce((s, t) => s + t.data.length, 0)).toBe(61706);
  });

  it('loads from an unaligned view', () => {
    const shifted = new Uint8Array(bytes.byteLength + 3);
    shifted.set(bytes, 3);
    expect(loadCheckpoint(shifted.subarray(3)).model.length).toBe(10);
  });

  it('modelFromCheckpoint serves the same predictions', () => {
    const served = modelFromCheckpoint(bytes);
    const x = tf.randomUniform([3, 32, 32, 1], 0, 1, 'float32', 1);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (served.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('rejects corrupt, truncated and foreign bytes with a clear error', () => {
    const flipped = bytes.slice();
    flipped[flipped.length - 5] ^= 0xff;
    expect(() => loadCheckpoint(flipped)).toThrow('invalid checkpoint: data checksum mismatch (corrupted bytes)');
    expect(() => loadCheckpoint(bytes.subarray(0, bytes.length - 100))).toThrow(/invalid checkpoint: truncated: expected \d+ bytes, got \d+/);
    expect(() => loadCheckpoint(bytes.subarray(0, 40))).toThrow(/invalid checkpoint: truncated: header needs/);
    expect(() => loadCheckpoint(new Uint8Array(10))).toThrow('shorter than the 16-byte preamble');
    expect(() => loadCheckpoint(new TextEncoder().encode('{"hello": "this is json, not a checkpoint"}'))).toThrow('wrong magic bytes');
  });

  it('refuses to restore into another architecture or optimizer kind', async () => {
    const ckpt = loadCheckpoint(bytes);
    const sgd = buildOptimizer({ name: 'SGD', learningRate: 0.1 });
    const cnn = buildModel({ name: 'cnn', inputShape: [32, 32, 1], numClasses: 10 });
    await expect(restore(cnn, sgd, ckpt)).rejects.toThrow('model has 12 weight tensors, checkpoint has 10');
    const fiveClasses = buildModel({ ...modelSpec, numClasses: 5 });
    await expect(restore(fiveClasses, sgd, ckpt)).rejects.toThrow('weight 8 (fc3/kernel): shape [84,5] vs saved [84,10] (fc3/kernel)');
    await expect(restore(buildModel(modelSpec), buildOptimizer({ name: 'Adam', learningRate: 0.1 }), ckpt)).rejects.toThrow(
      'optimizer is Adam, checkpoint holds SGD state',
    );
  });
});
