/**
 * Losses. Only softmax cross-entropy on logits for now (MindSpore's SoftmaxCrossEntropyWithLogits,
 * Keras' CategoricalCrossentropy(from_logits=True), PyTorch's CrossEntropyLoss).
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '@trainyard/common';

export interface LossSpec {
  name: 'SoftmaxCrossEntropyWithLogits';
  /** true: labels are class indices (int32); false: labels are one-hot rows. Default true. */
  sparse?: boolean;
  /** Only 'mean' (over the batch) is supported. */
  reduction?: 'mean';
}

export const DEFAULT_LOSS: LossSpec = { name: 'SoftmaxCrossEntropyWithLogits', sparse: true, reduction: 'mean' };

/** A loss: logits [n, k], labels (int32 [n] when sparse, else float32 [n, k]) → scalar. */
export type LossFn = (logits: tf.Tensor2D, labels: tf.Tensor) => tf.Scalar;

export function validateLossSpec(spec: unknown): LossSpec {
  const s = spec as Partial<LossSpec> | null;
  if (s == null || typeof s !== 'object') throw badInput('loss spec must be an object');
  if (s.name !== 'SoftmaxCrossEntropyWithLogits') {
    throw badInput(`unknown loss "${s.name}"; expected one of SoftmaxCrossEntropyWithLogits`);
  }
  if (s.sparse != null && typeof s.sparse !== 'boolean') throw badInput(`loss.sparse must be a boolean, got ${s.sparse}`);
  if (s.reduction != null && s.reduction !== 'mean') throw badInput(`loss.reduction must be "mean", got "${s.reduction}"`);
  return { name: s.name, sparse: s.sparse ?? true, reduction: 'mean' };
}

/**
 * Mean softmax cross-entropy, computed as -sum(onehot * logSoftmax(logits)), which is stable for large
 * logits. Sparse labels are one-hot encoded as int32 and then cast: the wasm backend's OneHot ignores a
 * float32 dtype and writes int32 bits.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor, sparse: boolean): tf.Scalar {
  return tf.tidy(() => {
    const numClasses = logits.shape[1];
    const target = sparse
      ? tf.oneHot(labels.flatten().toInt(), numClasses, 1, 0, 'int32').toFloat()
      : labels.toFloat();
    const perSample = tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), -1));
    return tf.mean(perSample) as tf.Scalar;
  });
}

export function makeLoss(spec: LossSpec = DEFAULT_LOSS): LossFn {
  const { sparse } = validateLossSpec(spec);
  return (logits, labels) => softmaxCrossEntropy(logits, labels, sparse ?? true);
}
