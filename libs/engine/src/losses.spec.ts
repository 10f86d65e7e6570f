import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';
import { makeLoss, softmaxCrossEntropy, validateLossSpec } from './losses';

/** Cross-entropy by hand: log(sum(exp(z))) - z[label], averaged. */
function byHand(logits: number[][], labels: number[]): number {
  const per = logits.map((z, i) => {
    const m = Math.max(...z);
    return m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0)) - z[labels[i]];
  });
  return per.reduce((a, b) => a + b, 0) / per.length;
}

const logits = [
  [1, 2, 3],
  [1, 0, -1],
  [0.5, 0.5, 0.5],
  [-2, 4, 0.1],
];
const labels = [2, 0, 1, 0];

describe.each(['cpu', 'wasm'] as const)('softmaxCrossEntropy on %s', (backend) => {
  beforeAll(() => initBackend(backend));

  it('sparse labels match the hand computation', () => {
    const loss = tf.tidy(() => softmaxCrossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, 'int32'), true).dataSync()[0]);
    expect(loss).toBeCloseTo(byHand(logits, labels), 5);
    // sanity of the hand value itself for the uniform row: log(3)
    expect(byHand([[0.5, 0.5, 0.5]], [1])).toBeCloseTo(Math.log(3), 10);
  });

  it('one-hot labels give the same value', () => {
    const oneHot = labels.map((l) => [0, 1, 2].map((c) => (c === l ? 1 : 0)));
    const loss = tf.tidy(() => softmaxCrossEntropy(tf.tensor2d(logits), tf.tensor2d(oneHot), false).dataSync()[0]);
    expect(loss).toBeCloseTo(byHand(logits, labels), 5);
  });

  it('is finite for large logits', () => {
    const big = [[1000, 0, -1000]];
    const loss = tf.tidy(() => makeLoss()(tf.tensor2d(big), tf.tensor1d([1], 'int32')).dataSync()[0]);
    expect(loss).toBeCloseTo(1000, 3);
  });

  it('gradient w.r.t. logits is (softmax - onehot) / n', () => {
    const g = tf.tidy(() =>
      tf.grad((z: tf.Tensor) => softmaxCrossEntropy(z as tf.Tensor2D, tf.tensor1d(labels, 'int32'), true))(tf.tensor2d(logits)).arraySync(),
    ) as number[][];
    logits.forEach((z, i) => {
      const e = z.map(Math.exp);
      const s = e.reduce((a, b) => a + b, 0);
      z.forEach((_, c) => expect(g[i][c]).toBeCloseTo((e[c] / s - (c === labels[i] ? 1 : 0)) / logits.length, 5));
    });
  });
});

describe('validateLossSpec', () => {
  it('defaults to sparse, mean', () => {
    expect(validateLossSpec({ name: 'SoftmaxCrossEntropyWithLogits' })).toEqual({
      name: 'SoftmaxCrossEntropyWithLogits',
      sparse: true,
      reduction: 'mean',
    });
  });
  it('rejects unknown losses and reductions', () => {
    expect(() => validateLossSpec({ name: 'MSE' })).toThrow('unknown loss "MSE"; expected one of SoftmaxCrossEntropyWithLogits');
    expect(() => validateLossSpec({ name: 'SoftmaxCrossEntropyWithLogits', reduction: 'sum' })).toThrow('loss.reduction must be "mean"');
  });
});
