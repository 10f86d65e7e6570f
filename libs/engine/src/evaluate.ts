/** Evaluation and prediction on a trained model. */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@trainyard/common';
import { badInput } from '@trainyard/common';
import { softmaxCrossEntropy } from './losses';
import { ClassificationMetrics, accumulateConfusion, argmaxRows, emptyConfusion, metricsFromConfusion } from './metrics';

export interface EvaluationResult extends ClassificationMetrics {
  /** Mean softmax cross-entropy over all samples. */
  loss: number;
}

/** Runs the model over every batch (inference mode) and returns loss, accuracy and macro metrics. */
export async function evaluate(
  model: tf.LayersModel,
  data: Iterable<Batch> | AsyncIterable<Batch>,
  numClasses: number,
): Promise<EvaluationResult> {
  const confusion = emptyConfusion(numClasses);
  let lossSum = 0;
  let n = 0;
  for await (const batch of data) {
    const rows = batch.y.length;
    const { logits, loss } = tf.tidy(() => {
      const x = tf.tensor(batch.x, batch.xShape, 'float32');
      const out = model.predict(x) as tf.Tensor2D;
      const l = softmaxCrossEntropy(out, tf.tensor1d(batch.y, 'int32'), true);
      return { logits: out.dataSync(), loss: l.dataSync()[0] };
    });
    if (logits.length !== rows * numClasses) {
      throw badInput(`model outputs ${logits.length / rows} classes per sample, expected ${numClasses}`);
    }
    accumulateConfusion(confusion, batch.y, argmaxRows(logits, numClasses));
    lossSum += loss * rows;
    n += rows;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { ...metricsFromConfusion(confusion), loss: n === 0 ? 0 : lossSum / n };
}

/**
 * Softmax probabilities for `shape[0]` samples, row-major [n, numClasses]. Runs in batches of
 * `batchSize` so a large request does not allocate one huge activation tensor.
 */
export function predictProbabilities(
  model: tf.LayersModel,
  x: Float32Array,
  shape: number[],
  batchSize = 256,
): Float32Array {
  const n = shape[0];
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  if (x.length !== n * per) throw badInput(`input has ${x.length} values, shape [${shape}] needs ${n * per}`);
  const parts: Float32Array[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    parts.push(
      tf.tidy(() => {
        const xs = tf.tensor(x.subarray(start * per, (start + m) * per), [m, ...shape.slice(1)], 'float32');
        return tf.softmax(model.predict(xs) as tf.Tensor2D).dataSync() as Float32Array;
      }),
    );
  }
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
