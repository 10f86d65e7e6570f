import * as tf from '@tensorflow/tfjs';
import { compare, initBackends, MODES, onBackend, rand, setMode } from './test_util';

jest.setTimeout(60_000);
beforeAll(() => initBackends());

type Case = [string, number[], number, number, 'valid' | 'same'];
// name, x shape, window, stride, pad
const CASES: Case[] = [
  ['2x2/2 valid (lenet)', [4, 28, 28, 6], 2, 2, 'valid'],
  ['2x2/2 same odd', [2, 7, 9, 3], 2, 2, 'same'],
  ['3x3/2 same', [2, 9, 8, 2], 3, 2, 'same'],
  ['3x3/1 same (overlapping)', [2, 6, 6, 3], 3, 1, 'same'],
  ['3x3/2 valid', [2, 9, 9, 2], 3, 2, 'valid'],
  ['2x2/1 valid', [1, 5, 5, 4], 2, 1, 'valid'],
  ['2x2/2 valid odd (rows and columns left over)', [2, 7, 9, 5], 2, 2, 'valid'],
  ['2x2/2 valid, 19 channels (vector tails)', [2, 6, 10, 19], 2, 2, 'valid'],
  ['3x3/3 valid (disjoint windows)', [2, 9, 10, 3], 3, 3, 'valid'],
];

describe.each(MODES)('wasm MaxPoolGrad (%s)', (mode) => {
  beforeEach(() => setMode(mode));
  test('all-negative window routes the gradient to its maximum (wasm 4.22 bug)', async () => {
    const fn = () => {
      const x = tf.tensor4d([-3, -1, -2, -4], [1, 2, 2, 1]);
      return tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid').sum())(x);
    };
    const [wasm] = await onBackend('wasm', fn);
    const [cpu] = await onBackend('cpu', fn);
    expect(Array.from(wasm)).toEqual([0, 1, 0, 0]);
    expect(Array.from(cpu)).toEqual([0, 1, 0, 0]);
  });

  test('ties go to the first maximum; zeros and negatives', async () => {
    const diff = await compare(() => {
      const x = tf.tensor4d([0, 0, -1, 0, -5, -5, -5, -5, 2, 2, 2, 1, -0.5, -0.25, -0.25, -7], [1, 4, 4, 1]);
      return tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid').mul(tf.range(1, 5).reshape([1, 2, 2, 1])).sum())(x);
    });
    expect(diff).toBe(0);
  });

  test.each([2, 3, 9])('2x2/2 with many ties (%i channels): gradient equals cpu exactly', async (ch) => {
    const diff = await compare(() => {
      const x = rand([2, 8, 10, ch], 21).mul(2).round(); // values in {-2..2}: ties in rows, columns, diagonals
      return tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid').mul(rand([2, 4, 5, ch], 22)).sum())(x);
    });
    expect(diff).toBe(0);
  });

  test.each(CASES)('%s: gradient matches cpu (negative inputs)', async (_n, xs, k, s, pad) => {
    const diff = await compare(() => {
      const x = rand(xs, 11).sub(0.5); // mostly negative: exercises the bug
      return tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, k, s, pad).mul(rand(tf.maxPool(a as tf.Tensor4D, k, s, pad).shape, 12)).sum())(x);
    });
    expect(diff).toBeLessThan(1e-5);
  });
});

describe.each(MODES)('wasm AvgPoolGrad (%s)', (mode) => {
  beforeEach(() => setMode(mode));
  test.each(CASES.filter((c) => c[4] === 'valid'))('%s: gradient matches cpu', async (_n, xs, k, s, pad) => {
    const diff = await compare(() => {
      const x = rand(xs, 13);
      return tf.grad((a: tf.Tensor) => tf.avgPool(a as tf.Tensor4D, k, s, pad).mul(rand(tf.avgPool(a as tf.Tensor4D, k, s, pad).shape, 14)).sum())(x);
    });
    expect(diff).toBeLessThan(1e-5);
  });

  test.each(CASES.filter((c) => c[4] === 'same'))('%s: kernel matches cpu', async (_n, xs, k, s, pad) => {
    const diff = await compare(() => {
      const x = rand(xs, 13) as tf.Tensor4D;
      const dy = rand(tf.avgPool(x, k, s, pad).shape, 14);
      return tf.engine().runKernel('AvgPoolGrad', { dy, input: x }, { filterSize: k, strides: s, pad }) as tf.Tensor;
    });
    expect(diff).toBeLessThan(1e-5);
  });
});
