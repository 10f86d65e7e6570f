import * as tf from '@tensorflow/tfjs';
import { compare, initBackends, MODES, rand, setMode } from './test_util';

jest.setTimeout(60_000);
beforeAll(() => initBackends());

type Case = [string, number[], number[]];
// name, a shape, b shape
const CASES: Case[] = [
  ['lenet conv1 bias', [4, 28, 28, 6], [6]],
  ['conv bias, 16 channels', [2, 10, 10, 16], [16]],
  ['dense bias', [64, 120], [120]],
  ['bias first', [7], [3, 4, 5, 7]],
  ['bias [1, 1, C]', [5, 6, 5], [1, 1, 5]],
  ['rows not a multiple of the wide row', [3, 5, 7, 5], [5]],
  ['1 column', [9, 1], [1]],
  ['same shapes (original path)', [4, 5], [4, 5]],
  ['other broadcast (original path)', [4, 5], [4, 1]],
  ['scalar (original path)', [4, 5], []],
];

describe.each(MODES)('wasm Add (%s)', (mode) => {
  beforeEach(() => setMode(mode));
  test.each(CASES)('%s equals cpu exactly', async (_n, as, bs) => {
    const diff = await compare(() => tf.add(rand(as, 5), rand(bs, 6)));
    expect(diff).toBe(0);
  });

  test('int32 stays on the original kernel', async () => {
    const diff = await compare(() => tf.add(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), tf.tensor1d([10, 20], 'int32')).toFloat());
    expect(diff).toBe(0);
  });
});
