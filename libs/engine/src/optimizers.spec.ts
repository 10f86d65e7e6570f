import * as tf from '@tensorflow/tfjs';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { initBackend } from './backend';
import { AdamWeightDecayOptimizer, buildOptimizer, optimizerNameOf, validateOptimizerSpec } from './optimizers';

beforeAll(() => initBackend('cpu'));

describe('validateOptimizerSpec', () => {
  it.each([
    [{ name: 'Momentum', learningRate: -0.1 }, 'learningRate must be > 0, got -0.1'],
    [{ name: 'SGD', learningRate: 0 }, 'learningRate must be > 0, got 0'],
    [{ name: 'SGD', learningRate: Infinity }, 'learningRate must be > 0, got Infinity'],
    [{ name: 'SGD' }, 'learningRate must be > 0, got undefined'],
    [{ name: 'Adagrad', learningRate: 0.1 }, 'unknown optimizer "Adagrad"; expected one of SGD, Momentum, RMSProp, Adam, AdamWeightDecay'],
    [{ name: 'Momentum', learningRate: 0.1, momentum: 1 }, 'momentum must be in [0, 1), got 1'],
    [{ name: 'Adam', learningRate: 0.1, beta2: -0.5 }, 'beta2 must be in [0, 1), got -0.5'],
    [{ name: 'Adam', learningRate: 0.1, epsilon: 0 }, 'epsilon must be in (0, Infinity), got 0'],
    [{ name: 'AdamWeightDecay', learningRate: 0.1, weightDecay: -1 }, 'weightDecay must be in [0, Infinity), got -1'],
  ])('rejects %j', (spec, message) => {
    let error: unknown;
    try {
      validateOptimizerSpec(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainyardError);
    expect((error as TrainyardError).code).toBe(ErrorCode.BAD_USER_INPUT);
    expect((error as Error).message).toBe(message);
  });

  it('fills defaults: the walkthrough Momentum(0.01, 0.9)', () => {
    expect(validateOptimizerSpec({ name: 'Momentum', learningRate: 0.01 })).toEqual({
      name: 'Momentum',
      learningRate: 0.01,
      momentum: 0.9,
      useNesterov: false,
    });
    expect(validateOptimizerSpec({ name: 'AdamWeightDecay', learningRate: 1e-3 })).toMatchObject({ weightDecay: 0.01, beta1: 0.9 });
  });

  it('builds each kind, named as in the spec', () => {
    for (const name of ['SGD', 'Momentum', 'RMSProp', 'Adam', 'AdamWeightDecay'] as const) {
      const opt = buildOptimizer({ name, learningRate: 0.1 });
      expect(optimizerNameOf(opt)).toBe(name);
      opt.dispose();
    }
  });
});

describe('optimizer steps', () => {
  it('Momentum: v = m*v + g; w -= lr*v, over two steps', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const opt = buildOptimizer({ name: 'Momentum', learningRate: 0.1, momentum: 0.9 });
    // loss = sum(w^2) / 2 → gradient w
    const step = () => opt.minimize(() => tf.sum(tf.square(w)).div(2) as tf.Scalar, false, [w]);
    step();
    // v1 = g0 = w0; w1 = w0 - 0.1*w0 = 0.9*w0
    expect(Array.from(w.dataSync())).toEqual([expect.closeTo(0.9, 6), expect.closeTo(-1.8, 6)]);
    step();
    // v2 = 0.9*w0 + w1 = 1.8*w0; w2 = w1 - 0.1*1.8*w0 = 0.72*w0
    expect(Array.from(w.dataSync())).toEqual([expect.closeTo(0.72, 6), expect.closeTo(-1.44, 6)]);
  });

  it('AdamWeightDecay = Adam step minus lr*wd*w_old on kernels, not on biases', () => {
    const run = (opt: tf.Optimizer) => {
      const kernel = tf.variable(tf.tensor2d([[1, -2], [3, 0.5]]), true);
      const bias = tf.variable(tf.tensor1d([1, -1]), true);
      opt.minimize(() => tf.add(tf.sum(tf.mul(kernel, kernel)), tf.sum(tf.mul(bias, 3))) as tf.Scalar, false, [kernel, bias]);
      return { kernel: Array.from(kernel.dataSync()), bias: Array.from(bias.dataSync()) };
    };
    const adam = run(tf.train.adam(0.1, 0.9, 0.999, 1e-8));
    const adamw = run(new AdamWeightDecayOptimizer(0.1, 0.5, 0.9, 0.999, 1e-8));
    const w0 = [1, -2, 3, 0.5];
    adamw.kernel.forEach((v, i) => expect(v).toBeCloseTo(adam.kernel[i] - 0.1 * 0.5 * w0[i], 5));
    adamw.bias.forEach((v, i) => expect(v).toBeCloseTo(adam.bias[i], 6));
    expect(adamw.kernel[0]).not.toBeCloseTo(adam.kernel[0], 3);
  });
});
