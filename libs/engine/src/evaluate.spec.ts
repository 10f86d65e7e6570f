import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@trainyard/common';
import { initBackend } from './backend';
import { evaluate, predictProbabilities } from './evaluate';
import { buildModel } from './models';
import { argmaxRows } from './metrics';
import { syntheticSource } from './testing/synthetic';

beforeAll(() => initBackend('wasm'));

const model = () => buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, seed: 3 });

describe('predictProbabilities', () => {
  it('returns softmax rows, batched internally with the same result', () => {
    const m = model();
    const x = tf.randomUniform([7, 32, 32, 1], 0, 1, 'float32', 2).dataSync() as Float32Array;
    const whole = predictProbabilities(m, x, [7, 32, 32, 1]);
    const batched = predictProbabilities(m, x, [7, 32, 32, 1], 3);
    expect(whole.length).toBe(70);
    for (let i = 0; i < 7; i++) expect(whole.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    Array.from(batched).forEach((v, i) => expect(v).toBeCloseTo(whole[i], 6));
    const logits = (m.predict(tf.tensor(x, [7, 32, 32, 1])) as tf.Tensor).dataSync();
    expect(Array.from(argmaxRows(whole, 10))).toEqual(Array.from(argmaxRows(logits, 10)));
    expect(() => predictProbabilities(m, x, [8, 32, 32, 1])).toThrow('input has 7168 values, shape [8,32,32,1] needs 8192');
  });
});

describe('evaluate', () => {
  it('agrees with argmax over the model outputs and counts every sample', async () => {
    const m = model();
    const batches = [...(syntheticSource({ batches: 3, batchSize: 5, numClasses: 10 }).epoch(0) as Iterable<Batch>)];
    const r = await evaluate(m, batches, 10);
    let correct = 0;
    for (const b of batches) {
      const pred = argmaxRows((m.predict(tf.tensor(b.x, b.xShape)) as tf.Tensor).dataSync(), 10);
      pred.forEach((p, i) => (correct += p === b.y[i] ? 1 : 0));
    }
    expect(r.count).toBe(15);
    expect(r.accuracy).toBeCloseTo(correct / 15, 10);
    expect(r.confusionMatrix.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(r.perClass.map((c) => c.support));
    expect(r.loss).toBeGreaterThan(0);
  });
});
