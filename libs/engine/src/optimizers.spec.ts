import * as tf from '@tensorflow/tfjs';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { initBackend } from './backend';
import { AdamWeightDecayOptimizer, buildOptimizer, learningRateOf, optimizerNameOf, setLearningRate, validateOptimizerSpec } from './optimizers';

beforeAll(() => initBackend('cpu'));

describe('validateOptimizerSpec', () => {
  it.each([
    [{ name: 'Momentum', learningRate: -0.1 }, 'learningRate: learningRate must be > 0'],
    [{ name: 'SGD', learningRate: 0 }, 'learningRate: learningRate must be > 0'],
    [{ name: 'SGD', learningRate: Infinity }, 'learningRate: learningRate must be finite'],
    [{ name: 'SGD' }, 'learningRate: Required'],
    [{ name: 'Nadam', learningRate: 0.1 }, 'name: unknown optimizer; expected one of SGD, Momentum, RMSProp, Adam, AdamW, AdamWeightDecay, Adagrad, Adadelta, Adamax'],
    [{ name: 'Momentum', learningRate: 0.1, momentum: 1 }, 'momentum: momentum must be < 1'],
    [{ name: 'Adam', learningRate: 0.1, beta2: -0.5 }, 'beta2: beta2 must be >= 0'],
    [{ name: 'Adam', learningRate: 0.1, epsilon: 0 }, 'epsilon: epsilon must be > 0'],
    [{ name: 'AdamWeightDecay', learningRate: 0.1, weightDecay: -1 }, 'weightDecay: weightDecay must be >= 0'],
    [{ name: 'Adam', learningRate: 0.1, momentum: 0.9 }, 'momentum: momentum is not a setting of Adam (it takes beta1, beta2, epsilon)'],
    [{ name: 'RMSProp', learningRate: 0.1, decay: 0.9, rho: 0.8 }, 'rho: decay and rho are the same setting; got decay 0.9 and rho 0.8'],
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
    for (const name of ['SGD', 'Momentum', 'RMSProp', 'Adam', 'AdamWeightDecay', 'Adagrad', 'Adadelta', 'Adamax'] as const) {
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

describe('each optimizer against hand-computed steps (loss = Σw²/2, so g = w)', () => {
  /** Runs `steps` steps from w0 and returns w after each. */
  const run = (spec: Parameters<typeof buildOptimizer>[0], w0: number[], steps = 2) => {
    const w = tf.variable(tf.tensor1d(w0));
    const opt = buildOptimizer(spec);
    const out: number[][] = [];
    for (let i = 0; i < steps; i++) {
      opt.minimize(() => tf.sum(tf.square(w)).div(2) as tf.Scalar, false, [w]);
      out.push(Array.from(w.dataSync()));
    }
    opt.dispose();
    w.dispose();
    return out;
  };
  /** The same recursion written out per element, in float64. */
  const byHand = (w0: number[], steps: number, update: (w: number, state: Record<string, number>, t: number) => number) =>
    Array.from({ length: steps }).reduce<{ ws: number[]; states: Record<string, number>[]; out: number[][] }>(
      (acc, _, t) => {
        const ws = acc.ws.map((w, i) => update(w, acc.states[i], t + 1));
        return { ws, states: acc.states, out: [...acc.out, ws] };
      },
      { ws: w0, states: w0.map(() => ({})), out: [] },
    ).out;
  const w0 = [1, -2, 0.5];
  const expectClose = (got: number[][], want: number[][]) =>
    got.forEach((row, s) => row.forEach((v, i) => expect(v).toBeCloseTo(want[s][i], 5)));

  it('SGD: w -= lr·g', () => {
    expectClose(run({ name: 'SGD', learningRate: 0.1 }, w0), byHand(w0, 2, (w) => w - 0.1 * w));
  });

  it('Momentum with Nesterov: a = m·a + g; w -= lr·(g + m·a)', () => {
    const want = byHand(w0, 2, (w, s) => {
      s.a = 0.9 * (s.a ?? 0) + w;
      return w - 0.1 * (w + 0.9 * s.a);
    });
    expectClose(run({ name: 'Momentum', learningRate: 0.1, momentum: 0.9, useNesterov: true }, w0), want);
  });

  it('RMSProp: ms = ρ·ms + (1−ρ)·g²; w -= lr·g/√(ms + ε)', () => {
    const want = byHand(w0, 2, (w, s) => {
      s.ms = 0.9 * (s.ms ?? 0) + 0.1 * w * w;
      return w - (0.01 * w) / Math.sqrt(s.ms + 1e-10);
    });
    expectClose(run({ name: 'RMSProp', learningRate: 0.01, decay: 0.9 }, w0), want);
  });

  it('Adam: bias-corrected moments', () => {
    const want = byHand(w0, 2, (w, s, t) => {
      s.m = 0.9 * (s.m ?? 0) + 0.1 * w;
      s.v = 0.999 * (s.v ?? 0) + 0.001 * w * w;
      return w - (0.1 * (s.m / (1 - 0.9 ** t))) / (Math.sqrt(s.v / (1 - 0.999 ** t)) + 1e-8);
    });
    expectClose(run({ name: 'Adam', learningRate: 0.1 }, w0), want);
  });

  it('Adamax: u = max(β2·u, |g|); w -= lr/(1−β1^t)·m/(u + ε)', () => {
    const want = byHand(w0, 3, (w, s, t) => {
      s.m = 0.9 * (s.m ?? 0) + 0.1 * w;
      s.u = Math.max(0.999 * (s.u ?? 0), Math.abs(w));
      return w - (0.1 / (1 - 0.9 ** t)) * (s.m / (s.u + 1e-8));
    });
    expectClose(run({ name: 'Adamax', learningRate: 0.1 }, w0, 3), want);
  });

  it('Adagrad: acc = acc0 + Σg²; w -= lr·g/√acc', () => {
    const want = byHand(w0, 2, (w, s) => {
      s.acc = (s.acc ?? 0.1) + w * w;
      return w - (0.1 * w) / Math.sqrt(s.acc);
    });
    expectClose(run({ name: 'Adagrad', learningRate: 0.1, initialAccumulatorValue: 0.1 }, w0), want);
  });

  it('Adadelta: Zeiler 2012, with the learning rate as a factor', () => {
    const rho = 0.95;
    const eps = 1e-6;
    const want = byHand(w0, 2, (w, s) => {
      s.g2 = rho * (s.g2 ?? 0) + (1 - rho) * w * w;
      const update = (Math.sqrt((s.u2 ?? 0) + eps) / Math.sqrt(s.g2 + eps)) * w;
      s.u2 = rho * (s.u2 ?? 0) + (1 - rho) * update * update;
      return w - 1.0 * update;
    });
    expectClose(run({ name: 'Adadelta', learningRate: 1.0, rho, epsilon: eps }, w0), want);
  });

  it('AdamW is AdamWeightDecay (one class, one checkpoint kind)', () => {
    const a = run({ name: 'AdamW', learningRate: 0.1, weightDecay: 0.1 }, w0);
    const b = run({ name: 'AdamWeightDecay', learningRate: 0.1, weightDecay: 0.1 }, w0);
    expect(a).toEqual(b);
  });

  it('setLearningRate changes the step size of SGD/Momentum (cached scalar) and Adam (field)', () => {
    for (const spec of [{ name: 'SGD' as const, learningRate: 0.1 }, { name: 'Adam' as const, learningRate: 0.1 }]) {
      const w = tf.variable(tf.tensor1d([1]));
      const opt = buildOptimizer(spec);
      setLearningRate(opt, 0.05);
      expect(learningRateOf(opt)).toBe(0.05);
      opt.minimize(() => tf.sum(tf.square(w)).div(2) as tf.Scalar, false, [w]);
      expect(w.dataSync()[0]).toBeCloseTo(spec.name === 'SGD' ? 0.95 : 0.95, 5);
      w.dispose();
    }
  });
});
