import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';
import { makeLoss, softmaxCrossEntropy, validateLossSpec } from './losses';
import { lossLabelMismatch } from './spec';

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
  it('defaults to sparse, mean, no smoothing', () => {
    expect(validateLossSpec({ name: 'SoftmaxCrossEntropyWithLogits' })).toEqual({
      name: 'SoftmaxCrossEntropyWithLogits',
      sparse: true,
      labelSmoothing: 0,
      reduction: 'mean',
    });
  });
  it('rejects unknown losses and bad settings, naming the field', () => {
    expect(() => validateLossSpec({ name: 'Focal' })).toThrow('loss.name: unknown loss; expected one of SoftmaxCrossEntropyWithLogits, SigmoidBinaryCrossEntropy, MSE, L1, Huber');
    expect(() => validateLossSpec({ name: 'SoftmaxCrossEntropyWithLogits', reduction: 'max' })).toThrow(/loss.reduction/);
    expect(() => validateLossSpec({ name: 'Huber', delta: 0 })).toThrow('loss.delta: delta must be > 0');
    expect(() => validateLossSpec({ name: 'MSE', sparse: true })).toThrow(/Unrecognized key/);
  });
});

describe('lossLabelMismatch', () => {
  it('rejects MSE on class labels without one-hot, and sparse cross-entropy on a regression target', () => {
    expect(lossLabelMismatch(validateLossSpec({ name: 'MSE' }), 'class')).toMatch(/MSE on class labels needs oneHot: true/);
    expect(lossLabelMismatch(validateLossSpec({ name: 'MSE', oneHot: true }), 'class')).toBeUndefined();
    expect(lossLabelMismatch(validateLossSpec({ name: 'SoftmaxCrossEntropyWithLogits' }), 'regression')).toMatch(/sparse cross-entropy needs class labels/);
    expect(lossLabelMismatch(validateLossSpec({ name: 'Huber' }), 'regression')).toBeUndefined();
    expect(lossLabelMismatch(validateLossSpec({ name: 'L1', oneHot: true }), 'regression')).toMatch(/needs class labels/);
  });
});

describe('each loss against a hand computation (cpu)', () => {
  beforeAll(() => initBackend('cpu'));
  // Two samples, three outputs; labels 2 and 0.
  const z = [
    [0.5, -1, 2],
    [1.5, 0.2, -0.3],
  ];
  const y = [2, 0];
  const onehot = y.map((l) => [0, 1, 2].map((c) => (c === l ? 1 : 0)));
  const value = (spec: Parameters<typeof makeLoss>[0], labels: tf.Tensor = tf.tensor1d(y, 'int32')) =>
    tf.tidy(() => makeLoss(spec)(tf.tensor2d(z), labels).dataSync()[0]);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const perSample = (f: (zi: number, ti: number) => number) => z.map((row, i) => mean(row.map((v, c) => f(v, onehot[i][c]))));

  it('softmax cross-entropy with label smoothing 0.1: targets 0.9*onehot + 0.1/3', () => {
    const eps = 0.1;
    const hand = mean(
      z.map((row, i) => {
        const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
        return -row.reduce((s, v, c) => s + (onehot[i][c] * (1 - eps) + eps / 3) * (v - lse), 0);
      }),
    );
    expect(value({ name: 'SoftmaxCrossEntropyWithLogits', labelSmoothing: eps })).toBeCloseTo(hand, 5);
    expect(value({ name: 'SoftmaxCrossEntropyWithLogits', labelSmoothing: eps, reduction: 'sum' })).toBeCloseTo(hand * 2, 5);
  });

  it('sigmoid binary cross-entropy on one-hot rows', () => {
    const bce = (v: number, t: number) => -(t * Math.log(1 / (1 + Math.exp(-v))) + (1 - t) * Math.log(1 - 1 / (1 + Math.exp(-v))));
    expect(value({ name: 'SigmoidBinaryCrossEntropy', oneHot: true })).toBeCloseTo(mean(perSample(bce)), 5);
  });

  it('MSE, L1 and Huber (delta 1) on one-hot rows; sum reduction adds samples', () => {
    expect(value({ name: 'MSE', oneHot: true })).toBeCloseTo(mean(perSample((v, t) => (v - t) ** 2)), 5);
    expect(value({ name: 'L1', oneHot: true })).toBeCloseTo(mean(perSample((v, t) => Math.abs(v - t))), 5);
    const huber = (v: number, t: number) => (Math.abs(v - t) <= 1 ? 0.5 * (v - t) ** 2 : Math.abs(v - t) - 0.5);
    expect(value({ name: 'Huber', oneHot: true })).toBeCloseTo(mean(perSample(huber)), 5);
    expect(value({ name: 'MSE', oneHot: true, reduction: 'sum' })).toBeCloseTo(perSample((v, t) => (v - t) ** 2).reduce((a, b) => a + b), 5);
  });

  it('regression targets ([n, k] floats) are used as they are', () => {
    const targets = [
      [0.5, -1, 1],
      [1, 0, 0],
    ];
    const hand = mean(z.map((row, i) => mean(row.map((v, c) => (v - targets[i][c]) ** 2))));
    expect(value({ name: 'MSE' }, tf.tensor2d(targets))).toBeCloseTo(hand, 5);
  });
});
