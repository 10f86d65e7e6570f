/** Evaluation and prediction on a trained model. */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@trainyard/common';
import { badInput } from '@trainyard/common';
import { DEFAULT_LOSS, perSampleLoss, validateLossSpec, type LossSpec } from './losses';
import {
  ClassificationMetrics,
  RegressionAccumulator,
  RegressionMetrics,
  accumulateConfusion,
  argmaxRows,
  emptyConfusion,
  metricsFromConfusion,
  topKCorrect,
} from './metrics';

export interface EvaluationResult extends ClassificationMetrics {
  /** Mean per-sample loss (the experiment's loss; softmax cross-entropy by default). */
  loss: number;
  /** Share of samples whose label is among the topK highest logits. */
  topKAccuracy: number;
  topK: number;
  /** For regression-style losses (MSE, L1, Huber): the outputs against the targets (one-hot rows for class labels). */
  regression?: RegressionMetrics;
  /** Set on a regression dataset's evaluation: then accuracy, precision... are 0 and perClass empty; read `regression`. */
  task?: 'regression';
}

export interface EvaluateOptions {
  /** Loss reported as `loss` (default softmax cross-entropy). */
  loss?: LossSpec;
  /** k of the top-k accuracy (default min(5, numClasses)). */
  topK?: number;
  /** Names of the classes, in label order (per-class metrics carry them). */
  classNames?: readonly string[];
  /**
   * 'regression': the batches carry real-valued targets (Batch.targets); only the loss and the
   * regression metrics (MSE, MAE, R²) mean anything, the classification fields stay empty.
   */
  task?: 'classification' | 'regression';
}

/**
 * Runs the model over every batch (inference mode) and returns loss, accuracy, top-k accuracy,
 * precision/recall/F1 (macro, micro, per class), the confusion matrix, and for regression-style
 * losses MSE, MAE and R².
 */
export async function evaluate(
  model: tf.LayersModel,
  data: Iterable<Batch> | AsyncIterable<Batch>,
  numClasses: number,
  opts: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const loss = validateLossSpec(opts.loss ?? DEFAULT_LOSS);
  const isRegression = opts.task === 'regression';
  const k = Math.min(opts.topK ?? 5, numClasses);
  const regression = isRegression || loss.name === 'MSE' || loss.name === 'L1' || loss.name === 'Huber' ? new RegressionAccumulator() : undefined;
  const confusion = emptyConfusion(isRegression ? 0 : numClasses);
  let lossSum = 0;
  let n = 0;
  let topHits = 0;
  for await (const batch of data) {
    const rows = batch.y.length;
    if (isRegression && !batch.targets) throw badInput('a regression evaluation needs batches with targets');
    const { logits, lossSum: l, target } = tf.tidy(() => {
      const x = tf.tensor(batch.x, batch.xShape, 'float32');
      const out = model.predict(x) as tf.Tensor2D;
      // The pipeline's targets (regression values, OneHot rows) when it gives them, else class indices.
      const labels = batch.targets ? tf.tensor2d(batch.targets, [rows, batch.targets.length / rows], 'float32') : tf.tensor1d(batch.y, 'int32');
      const per = perSampleLoss(loss, out, labels);
      const t = !regression ? undefined : batch.targets ? batch.targets : (tf.oneHot(labels, numClasses, 1, 0, 'int32').dataSync() as Int32Array);
      return { logits: out.dataSync(), lossSum: tf.sum(per).dataSync()[0], target: t };
    });
    if (logits.length !== rows * numClasses) {
      throw badInput(`model outputs ${logits.length / rows} ${isRegression ? 'values' : 'classes'} per sample, expected ${numClasses}`);
    }
    if (!isRegression) {
      accumulateConfusion(confusion, batch.y, argmaxRows(logits, numClasses));
      topHits += topKCorrect(logits, batch.y, numClasses, k);
    }
    if (regression && target) {
      if (target.length !== logits.length) throw badInput(`the targets have ${target.length / rows} values per sample, the model outputs ${numClasses}`);
      regression.add(logits, target, rows);
    }
    lossSum += l;
    n += rows;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return {
    ...metricsFromConfusion(confusion, opts.classNames),
    ...(isRegression ? { count: n, task: 'regression' as const } : {}),
    loss: n === 0 ? 0 : lossSum / n,
    topK: isRegression ? 0 : k,
    topKAccuracy: n === 0 || isRegression ? 0 : topHits / n,
    ...(regression ? { regression: regression.result() } : {}),
  };
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
