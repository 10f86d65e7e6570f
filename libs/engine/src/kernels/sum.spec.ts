import * as tf from '@tensorflow/tfjs';
import { compare, initBackends, MODES, rand, setMode } from './test_util';

jest.setTimeout(60_000);
beforeAll(() => initBackends());

type Case = [string, number[], number[] | number | undefined, boolean];
const CASES: Case[] = [
  ['bias grad 4d', [8, 7, 5, 6], [0, 1, 2], false],
  ['bias grad 4d keepDims', [4, 3, 3, 5], [0, 1, 2], true],
  ['bias grad 2d', [64, 120], [0], false],
  ['large (65536 rows)', [64, 32, 32, 4], [0, 1, 2], false],
  ['lenet conv1 bias grad (6 columns)', [64, 28, 28, 6], [0, 1, 2], false],
  ['5 columns, rows not a multiple of the wide row', [3, 5, 7, 5], [0, 1, 2], false],
  ['1 column', [9, 7], [0], false],
  ['last axis (original path)', [6, 5], [1], false],
  ['all axes (original path)', [6, 5], undefined, false],
  ['middle axes (original path)', [3, 4, 5], [1], false],
];

describe.each(MODES)('wasm Sum (%s)', (mode) => {
  beforeEach(() => setMode(mode));
  test.each(CASES)('%s matches cpu', async (_n, shape, axis, keepDims) => {
    const shapes: number[][] = [];
    const diff = await compare(() => {
      const y = tf.sum(rand(shape, 3), axis, keepDims);
      shapes.push(y.shape);
      return y;
    });
    expect(diff).toBeLessThan(1e-5);
    expect(shapes[1]).toEqual(shapes[0]);
  });
});
