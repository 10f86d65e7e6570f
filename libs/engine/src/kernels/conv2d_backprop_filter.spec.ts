import * as tf from '@tensorflow/tfjs';
import { compare, convGrads, convOperands, initBackends, MODES, setMode } from './test_util';

jest.setTimeout(60_000);
beforeAll(() => initBackends());

type Case = [string, number[], number[], number, 'valid' | 'same'];
// name, x shape [n,h,w,c], filter shape [fh,fw,cin,cout], stride, pad
const CASES: Case[] = [
  ['lenet conv1', [4, 32, 32, 1], [5, 5, 1, 6], 1, 'valid'],
  ['lenet conv2', [4, 14, 14, 6], [5, 5, 6, 16], 1, 'valid'],
  ['3x3 same', [3, 8, 8, 3], [3, 3, 3, 5], 1, 'same'],
  ['3x3 same stride 2', [2, 9, 9, 3], [3, 3, 3, 4], 2, 'same'],
  ['3x3 valid stride 2 (odd)', [2, 9, 9, 2], [3, 3, 2, 4], 2, 'valid'],
  ['4x4 valid stride 2 (unused rows)', [2, 10, 11, 2], [4, 4, 2, 3], 2, 'valid'],
  ['2x2 same stride 2 even', [2, 8, 8, 3], [2, 2, 3, 2], 2, 'same'],
  ['5x3 same rect', [2, 7, 6, 2], [5, 3, 2, 3], 1, 'same'],
  ['1x1', [2, 5, 5, 4], [1, 1, 4, 3], 1, 'valid'],
  ['1x1 stride 2', [2, 5, 5, 4], [1, 1, 4, 3], 2, 'same'],
  // One input channel: the native direct kernel (several vectors per row, channel blocks, padding).
  ['ci=1 3x3 same', [3, 9, 7, 1], [3, 3, 1, 5], 1, 'same'],
  ['ci=1 5x5 same, 11 channels, wide rows', [2, 20, 37, 1], [5, 5, 1, 11], 1, 'same'],
  ['ci=1 4x2 valid', [2, 6, 5, 1], [4, 2, 1, 3], 1, 'valid'],
  // Small filter banks: the native direct kernel (tap blocks of 8, channel vectors + tail, strides).
  ['direct: 3x3 same, 40 channels', [2, 7, 11, 5], [3, 3, 5, 40], 1, 'same'],
  ['direct: 5x5 stride 2 same, 20 channels', [2, 12, 9, 4], [5, 5, 4, 20], 2, 'same'],
  ['direct: K = 27 (not a multiple of 8)', [2, 6, 6, 3], [3, 3, 3, 7], 1, 'valid'],
];

describe.each(MODES)('wasm Conv2DBackpropFilter (%s)', (mode) => {
  beforeEach(() => setMode(mode));
  test.each(CASES)('%s: kernel matches cpu', async (_n, xs, fs, s, pad) => {
    const diff = await compare(() => {
      const { x, dy } = convOperands(xs, fs, s, pad);
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: fs }) as tf.Tensor;
    });
    expect(diff).toBeLessThan(1e-4);
  });

  test.each(CASES)('%s: tf.grads matches cpu', async (_n, xs, fs, s, pad) => {
    const diff = await compare(() => convGrads(xs, fs, s, pad));
    expect(diff).toBeLessThan(1e-4);
  });
});
