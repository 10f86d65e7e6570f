/**
 * Losses, from logits. Schemas and the label-fit rule are in spec/losses.ts; here is the math.
 *
 * | name | per sample | Keras / PyTorch |
 * |---|---|---|
 * | SoftmaxCrossEntropyWithLogits | −Σ t·logSoftmax(z), t = one-hot(label)·(1−ε) + ε/k | CategoricalCrossentropy(from_logits, label_smoothing) / CrossEntropyLoss(label_smoothing) |
 * | SigmoidBinaryCrossEntropy | mean_k max(z,0) − z·t + log(1+e^−|z|), t = y·(1−ε) + ε/2 | BinaryCrossentropy(from_logits) / BCEWithLogitsLoss |
 * | MSE | mean_k (z−t)² | MeanSquaredError / MSELoss |
 * | L1 | mean_k |z−t| | MeanAbsoluteError / L1Loss |
 * | Huber | mean_k ½d² if |d| ≤ δ else δ(|d| − ½δ) | Huber / HuberLoss |
 *
 * Then `reduction`: mean (default) or sum over the batch. Class labels (int32 [n]) become one-hot rows
 * where the loss needs them; float [n, k] targets are used as they are.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '@trainyard/common';
import { lossSpecSchema, type LossSpecInput, type ResolvedLossSpec } from './spec';

export type LossSpec = LossSpecInput;
export type { ResolvedLossSpec };

export const DEFAULT_LOSS: ResolvedLossSpec = { name: 'SoftmaxCrossEntropyWithLogits', sparse: true, labelSmoothing: 0, reduction: 'mean' };

/** A loss: logits [n, k], labels (int32 [n] class indices, or float32 [n, k] targets) → scalar. */
export type LossFn = (logits: tf.Tensor2D, labels: tf.Tensor) => tf.Scalar;

/** Parses a loss spec (defaults filled in) or throws BAD_USER_INPUT naming the field. */
export function validateLossSpec(spec: unknown): ResolvedLossSpec {
  const r = lossSpecSchema.safeParse(spec);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = ['loss', ...issue.path].join('.');
    throw badInput(`${field}: ${issue.message}`, { field });
  }
  return r.data;
}

/**
 * One-hot rows as float32. Built as int32 and cast: the wasm backend's OneHot ignores a float32 dtype
 * and writes int32 bits.
 */
function oneHotRows(labels: tf.Tensor, k: number): tf.Tensor2D {
  return tf.oneHot(labels.flatten().toInt(), k, 1, 0, 'int32').toFloat() as tf.Tensor2D;
}

function targets(labels: tf.Tensor, k: number): tf.Tensor2D {
  if (labels.rank === 2) return labels.toFloat() as tf.Tensor2D;
  return labels.dtype === 'int32' || k > 1 ? oneHotRows(labels, k) : (labels.reshape([-1, 1]).toFloat() as tf.Tensor2D);
}

/**
 * Mean softmax cross-entropy, computed as -sum(onehot * logSoftmax(logits)), which is stable for large
 * logits. (Kept with its original signature: evaluation and older callers use it.)
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor, sparse: boolean, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    let target = sparse ? oneHotRows(labels, k) : labels.toFloat();
    if (labelSmoothing > 0) target = tf.add(tf.mul(target, 1 - labelSmoothing), labelSmoothing / k);
    const perSample = tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), -1));
    return tf.mean(perSample) as tf.Scalar;
  });
}

/** Per-sample losses [n] for a resolved spec. */
export function perSampleLoss(spec: ResolvedLossSpec, logits: tf.Tensor2D, labels: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const k = logits.shape[1];
    switch (spec.name) {
      case 'SoftmaxCrossEntropyWithLogits': {
        let t = labels.rank === 2 ? labels.toFloat() : oneHotRows(labels, k);
        if (spec.labelSmoothing > 0) t = tf.add(tf.mul(t, 1 - spec.labelSmoothing), spec.labelSmoothing / k);
        return tf.neg(tf.sum(tf.mul(t, tf.logSoftmax(logits)), -1)) as tf.Tensor1D;
      }
      case 'SigmoidBinaryCrossEntropy': {
        let t: tf.Tensor = targets(labels, k);
        if (spec.labelSmoothing > 0) t = tf.add(tf.mul(t, 1 - spec.labelSmoothing), spec.labelSmoothing / 2);
        const z = logits;
        const el = tf.add(tf.sub(tf.relu(z), tf.mul(z, t)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
        return tf.mean(el, -1) as tf.Tensor1D;
      }
      case 'MSE':
        return tf.mean(tf.square(tf.sub(logits, targets(labels, k))), -1) as tf.Tensor1D;
      case 'L1':
        return tf.mean(tf.abs(tf.sub(logits, targets(labels, k))), -1) as tf.Tensor1D;
      case 'Huber': {
        const d = tf.abs(tf.sub(logits, targets(labels, k)));
        const delta = spec.delta;
        const quad = tf.minimum(d, delta);
        // ½·quad² + δ·(d − quad): ½d² inside δ, δ(|d| − ½δ) outside.
        return tf.mean(tf.add(tf.mul(0.5, tf.square(quad)), tf.mul(delta, tf.sub(d, quad))), -1) as tf.Tensor1D;
      }
    }
  });
}

export function makeLoss(spec: LossSpec = DEFAULT_LOSS): LossFn {
  const s = validateLossSpec(spec);
  // The walkthrough's loss keeps its original, fastest formulation.
  if (s.name === 'SoftmaxCrossEntropyWithLogits' && s.reduction === 'mean') {
    return (logits, labels) => softmaxCrossEntropy(logits, labels, labels.rank !== 2, s.labelSmoothing);
  }
  return (logits, labels) =>
    tf.tidy(() => {
      const per = perSampleLoss(s, logits, labels);
      return (s.reduction === 'sum' ? tf.sum(per) : tf.mean(per)) as tf.Scalar;
    });
}
