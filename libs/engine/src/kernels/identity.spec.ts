import * as tf from '@tensorflow/tfjs';
import { compare, initBackends, rand } from './test_util';

beforeAll(() => initBackends());

describe('wasm Identity (shares the buffer)', () => {
  test('a clone outlives its source, reads the same values, and frees the buffer with the last reference', async () => {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend;
    const buffers = backend.numDataIds();
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    expect(backend.numDataIds()).toBe(buffers + 1); // shared, not copied
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    b.dispose();
    expect(backend.numDataIds()).toBe(buffers);
    const s = tf.clone(tf.tensor1d(['x', 'y'], 'string'));
    expect(s.arraySync()).toEqual(['x', 'y']);
    await tf.setBackend('cpu');
  });

  test('gradients through saved (cloned) tensors match cpu', async () => {
    const diff = await compare(() => {
      const x = rand([2, 6, 6, 3], 31);
      const f = rand([3, 3, 3, 4], 32);
      return tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.relu(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')).square().sum())([x, f]);
    });
    expect(diff).toBeLessThan(1e-4);
  });
});
