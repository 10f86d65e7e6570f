import * as tf from '@tensorflow/tfjs';
import { compare, convGrads, convOperands, initBackends, MODES, setMode } from './test_util';

jest.setTimeout(60_000);
beforeAll(() => initBackends());

type Case = [string, number[], number[], number, 'valid' | 'same' | number];
// name, x shape [n,h,w,c], filter shape [fh,fw,cin,cout], stride, pad
const CASES: Case[] = [
  ['lenet conv2', [4, 14, 14, 6], [5, 5, 6, 16], 1, 'valid'],
  ['3x3 same', [3, 8, 8, 3], [3, 3, 3, 5], 1, 'same'],
  ['3x3 same stride 2', [2, 9, 9, 3], [3, 3, 3, 4], 2, 'same'],
  ['3x3 same stride 2 even', [2, 8, 10, 3], [3, 3, 3, 4], 2, 'same'],
  ['3x3 valid stride 2 (odd)', [2, 9, 9, 2], [3, 3, 2, 4], 2, 'valid'],
  ['4x4 valid stride 2 (unused rows)', [2, 10, 11, 2], [4, 4, 2, 3], 2, 'valid'],
  ['2x2 same stride 2', [2, 8, 8, 3], [2, 2, 3, 2], 2, 'same'],
  ['5x3 same rect', [2, 7, 6, 2], [5, 3, 2, 3], 1, 'same'],
  ['1x1 stride 2', [2, 5, 5, 4], [1, 1, 4, 3], 2, 'same'],
  ['explicit pad 1', [2, 6, 6, 2], [3, 3, 2, 3], 1, 1],
  // stride 1: computed natively as a forward convolution with the rotated filter
  ['resnet 3x3 same 16 -> 16', [2, 8, 8, 16], [3, 3, 16, 16], 1, 'same'],
  ['resnet 3x3 same 16 -> 32 (odd size)', [2, 7, 9, 16], [3, 3, 16, 32], 1, 'same'],
  ['2x2 same stride 1 (pad only bottom/right)', [2, 7, 7, 3], [2, 2, 3, 4], 1, 'same'],
  ['3x3 valid stride 1', [2, 9, 8, 4], [3, 3, 4, 5], 1, 'valid'],
];

describe.each(MODES)('wasm Conv2DBackpropInput (%s)', (mode) => {
  beforeEach(() => setMode(mode));
  test.each(CASES)('%s: kernel matches cpu', async (_n, xs, fs, s, pad) => {
    const diff = await compare(() => {
      const { f, dy } = convOperands(xs, fs, s, pad);
      return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { strides: [s, s], pad, dataFormat: 'NHWC', inputShape: xs }) as tf.Tensor;
    });
    expect(diff).toBeLessThan(1e-4);
  });

  test.each(CASES)('%s: tf.grads matches cpu', async (_n, xs, fs, s, pad) => {
    const diff = await compare(() => convGrads(xs, fs, s, pad));
    expect(diff).toBeLessThan(1e-4);
  });
});
