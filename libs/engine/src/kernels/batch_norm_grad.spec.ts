import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerBatchNormGradient } from './batch_norm_grad';

/** Gradients of a batch-norm layer's output (weighted, so each element matters) w.r.t. all inputs. */
function grads() {
  return tf.tidy(() => {
    const x = tf.randomNormal([4, 5, 5, 3], 0, 2, 'float32', 1);
    const mean = tf.tensor1d([0.1, -0.3, 0.5]);
    const variance = tf.tensor1d([1.5, 0.2, 3]);
    const offset = tf.tensor1d([0.2, 0, -1]);
    const scale = tf.tensor1d([1.1, 0.7, -0.4]);
    const w = tf.randomNormal([4, 5, 5, 3], 0, 1, 'float32', 2);
    const f = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
      tf.sum(tf.mul(tf.batchNorm(a as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, o as tf.Tensor1D, s as tf.Tensor1D, 1e-3), w));
    return tf.grads(f)([x, mean, variance, offset, scale]).map((t) => Array.from(t.dataSync()));
  });
}

describe('FusedBatchNorm gradient without Tile', () => {
  it("equals tfjs' own gradient for x, mean, variance, offset and scale, on cpu and wasm", async () => {
    const original: Record<string, number[][]> = {};
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      original[backend] = grads();
    }
    registerBatchNormGradient();
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      expect(grads()).toEqual(original[backend]);
    }
    expect(original.cpu[0].some((v) => v !== 0)).toBe(true);
  });
});
