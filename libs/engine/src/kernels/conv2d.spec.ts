import * as tf from '@tensorflow/tfjs';
import { compare, initBackends, MODES, rand, setMode } from './test_util';

jest.setTimeout(60_000);
beforeAll(() => initBackends());

type Case = [string, number[], number[], number, 'valid' | 'same' | number, number];
// name, x shape, filter shape, stride, pad, dilation
const CASES: Case[] = [
  ['lenet conv1', [4, 32, 32, 1], [5, 5, 1, 6], 1, 'valid', 1],
  ['lenet conv2', [4, 14, 14, 6], [5, 5, 6, 16], 1, 'valid', 1],
  ['cnn 3x3 same', [2, 16, 16, 32], [3, 3, 32, 64], 1, 'same', 1],
  ['3x3 same stride 2', [2, 9, 9, 3], [3, 3, 3, 4], 2, 'same', 1],
  ['4x4 valid stride 2', [2, 10, 11, 2], [4, 4, 2, 3], 2, 'valid', 1],
  ['3x3 dilation 2', [2, 9, 9, 2], [3, 3, 2, 5], 1, 'valid', 2],
  ['1x1 pointwise', [2, 5, 5, 40], [1, 1, 40, 37], 1, 'valid', 1],
  ['explicit pad 2', [2, 6, 6, 2], [3, 3, 2, 3], 1, 2, 1],
  ['wide output (N > tile)', [1, 6, 6, 3], [3, 3, 3, 70], 1, 'same', 1],
  // One input channel: the native direct kernel (several vectors per row, channel blocks, padding).
  ['ci=1 3x3 same', [3, 9, 7, 1], [3, 3, 1, 5], 1, 'same', 1],
  ['ci=1 5x5 same, 11 channels, wide rows', [2, 20, 37, 1], [5, 5, 1, 11], 1, 'same', 1],
  ['ci=1 3x3 explicit pad 2', [2, 6, 5, 1], [3, 3, 1, 3], 1, 2, 1],
  ['ci=1 stride 2 (GEMM path)', [2, 11, 11, 1], [3, 3, 1, 4], 2, 'valid', 1],
  // Small filter banks: the native direct kernel (partial pixel blocks, several channel vectors + tail).
  ['direct: 3x3 same, 40 channels', [2, 7, 11, 5], [3, 3, 5, 40], 1, 'same', 1],
  ['direct: 5x5 stride 2 same, 20 channels', [2, 12, 9, 4], [5, 5, 4, 20], 2, 'same', 1],
  ['direct: 3x3 explicit pad 1, 64 channels', [1, 5, 6, 8], [3, 3, 8, 64], 1, 1, 1],
];

describe.each(MODES)('wasm Conv2D (%s)', (mode) => {
  beforeEach(() => setMode(mode));
  test.each(CASES)('%s matches cpu', async (_n, xs, fs, s, pad, d) => {
    const diff = await compare(() => tf.conv2d(rand(xs, 1) as tf.Tensor4D, rand(fs, 2) as tf.Tensor4D, s, pad, 'NHWC', d));
    expect(diff).toBeLessThan(1e-4);
  });
});

describe.each(MODES)('wasm FusedConv2D without bias or activation (%s)', (mode) => {
  beforeEach(() => setMode(mode));
  test.each([
    ['resnet 3x3 same', [2, 8, 8, 16], [3, 3, 16, 16], 1],
    ['resnet 3x3 stride 2 same', [2, 8, 8, 16], [3, 3, 16, 32], 2],
    ['resnet 1x1 projection stride 2', [2, 8, 8, 16], [1, 1, 16, 32], 2],
  ] as Array<[string, number[], number[], number]>)('%s matches cpu', async (_n, xs, fs, s) => {
    const diff = await compare(() => tf.fused.conv2d({ x: rand(xs, 1) as tf.Tensor4D, filter: rand(fs, 2) as tf.Tensor4D, strides: s, pad: 'same' }));
    expect(diff).toBeLessThan(1e-4);
  });

  it('with a bias and relu it still matches cpu (original kernel)', async () => {
    const diff = await compare(() =>
      tf.fused.conv2d({ x: rand([2, 6, 6, 3], 1) as tf.Tensor4D, filter: rand([3, 3, 3, 4], 2) as tf.Tensor4D, strides: 1, pad: 'same', bias: rand([4], 3), activation: 'relu' }),
    );
    expect(diff).toBeLessThan(1e-4);
  });
});
