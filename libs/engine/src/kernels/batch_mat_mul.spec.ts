import * as tf from '@tensorflow/tfjs';
import { compare, initBackends, MODES, rand, setMode } from './test_util';

jest.setTimeout(60_000);
beforeAll(() => initBackends());

type Case = [string, number[], number[], boolean, boolean];
const CASES: Case[] = [
  ['2d plain', [7, 5], [5, 3], false, false],
  ['2d transposeA', [5, 7], [5, 3], true, false],
  ['2d transposeB', [7, 5], [3, 5], false, true],
  ['2d both', [5, 7], [3, 5], true, true],
  ['dense grad shapes', [64, 400], [64, 120], true, false],
  ['3d batch 1 transposeA', [1, 6, 4], [1, 6, 3], true, false],
  ['3d batch 1 transposeB', [1, 4, 6], [1, 3, 6], false, true],
  ['3d batch 3 transposeB', [3, 4, 6], [3, 5, 6], false, true],
  ['3d batch 3 both', [3, 6, 4], [3, 5, 6], true, true],
  ['3d broadcast b', [3, 4, 6], [1, 6, 5], false, false],
  ['3d broadcast a, transposeA', [1, 6, 4], [2, 6, 5], true, false],
  ['large K and N', [33, 300], [300, 70], false, false],
];

describe.each(MODES)('wasm BatchMatMul (%s)', (mode) => {
  beforeEach(() => setMode(mode));
  test.each(CASES)('%s matches cpu', async (_n, as, bs, ta, tb) => {
    let shapes: number[][] = [];
    const diff = await compare(() => {
      const a = rand(as, 1);
      const b = rand(bs, 2);
      const out = tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA: ta, transposeB: tb }) as tf.Tensor;
      shapes.push(out.shape);
      return out;
    });
    expect(diff).toBeLessThan(1e-5);
    expect(shapes[1]).toEqual(shapes[0]);
    shapes = [];
  });

  test('dense layer gradients match cpu', async () => {
    const diff = await compare(() => {
      const x = rand([16, 40], 3) as tf.Tensor2D;
      const w = rand([40, 12], 4) as tf.Tensor2D;
      const f = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.relu(tf.matMul(a, b)).square().sum();
      return tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([x, w]);
    });
    expect(diff).toBeLessThan(1e-5);
  });
});
