import * as tf from '@tensorflow/tfjs';
import { loadOnnxRuntime, tfjsRuntime } from './runtime';

/**
 * Runs `samples` seeded random inputs (uniform in [-1, 3], the range normalized images fall in)
 * through the ONNX bytes in ONNX Runtime and through the tfjs model, and returns the largest
 * |ONNX - tfjs| over all outputs. The export job records it; above 1e-4 it refuses the file.
 */
export async function measureOnnxParity(model: tf.LayersModel, onnxBytes: Uint8Array, { samples = 8, seed = 1 } = {}): Promise<number> {
  const dims = model.inputs[0].shape.slice(1);
  if (dims.some((d) => d == null)) throw new Error('the model input needs a fixed shape (besides the batch) for a parity check');
  const shape = [samples, ...(dims as number[])];
  const x = tf.tidy(() => tf.randomUniform(shape, -1, 3, 'float32', seed).dataSync() as Float32Array);
  const onnxRt = await loadOnnxRuntime(onnxBytes);
  const tfjsRt = tfjsRuntime(model, { disposeModel: false });
  try {
    const [a, b] = await Promise.all([onnxRt.run(x, shape), tfjsRt.run(x, shape)]);
    if (a.length !== b.length) return Infinity;
    let max = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
    }
    return max;
  } finally {
    await onnxRt.dispose();
    await tfjsRt.dispose();
  }
}
