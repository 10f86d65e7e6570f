import * as tf from '@tensorflow/tfjs';
import { compare, initBackends, rand } from './test_util';

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
  ['3d batch 3 transposeB (original path)', [3, 4, 6], [3, 5, 6], false, true],
];

describe('wasm BatchMatMul', () => {
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
