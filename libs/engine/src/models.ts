/**
 * Model zoo. Models end in logits (no softmax): the loss applies softmax cross-entropy itself, and
 * predictProbabilities applies softmax for serving.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '@trainyard/common';

export const MODEL_NAMES = ['lenet5', 'cnn'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ModelSpec {
  name: ModelName;
  /** The image shape as [height, width, channels], whatever the batch layout. */
  inputShape: [number, number, number];
  numClasses: number;
  /**
   * Layout of the batches fed to the model. 'channelsFirst' ([n, c, h, w], what HWC2CHW emits) puts a
   * Permute to NHWC at the input; everything after it is NHWC. Default 'channelsLast'.
   */
  dataFormat?: 'channelsLast' | 'channelsFirst';
  /** Seed for weight initialization (reproducible runs); random when absent. */
  seed?: number;
}

/** Throws badInput with a readable message when `spec` does not describe a buildable model. */
export function validateModelSpec(spec: unknown): ModelSpec {
  const s = spec as Partial<ModelSpec> | null;
  if (s == null || typeof s !== 'object') throw badInput('model spec must be an object');
  if (!MODEL_NAMES.includes(s.name as ModelName)) {
    throw badInput(`unknown model "${s.name}"; expected one of ${MODEL_NAMES.join(', ')}`);
  }
  const shape = s.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw badInput(`inputShape must be [height, width, channels] of positive integers, got ${JSON.stringify(shape)}`);
  }
  if (!Number.isInteger(s.numClasses) || (s.numClasses as number) < 2) {
    throw badInput(`numClasses must be an integer >= 2, got ${s.numClasses}`);
  }
  if (s.dataFormat != null && s.dataFormat !== 'channelsLast' && s.dataFormat !== 'channelsFirst') {
    throw badInput(`dataFormat must be channelsLast or channelsFirst, got "${s.dataFormat}"`);
  }
  if (s.seed != null && !Number.isInteger(s.seed)) throw badInput(`seed must be an integer, got ${s.seed}`);
  const [h, w] = shape;
  const min = MIN_SIDE[s.name as ModelName];
  if (h < min || w < min) {
    throw badInput(`model ${s.name} needs images at least ${min}x${min}, got ${h}x${w}`);
  }
  return s as ModelSpec;
}

/** Smallest image side each model's convolutions and pools leave at least 1x1 of. */
const MIN_SIDE: Record<ModelName, number> = { lenet5: 16, cnn: 4 };

/**
 * Builds an uncompiled model (the Trainer runs its own step, so no compile()).
 *
 * - lenet5: the MindSpore walkthrough's LeNet-5. conv 6@5x5 valid, ReLU, maxpool 2, conv 16@5x5 valid,
 *   ReLU, maxpool 2, flatten, dense 120 ReLU, dense 84 ReLU, dense numClasses (logits). 61,706 parameters
 *   for 32x32x1 and 10 classes. MindSpore initializes with TruncatedNormal/Normal(0.02); we use He normal
 *   for the ReLU layers and Glorot normal for the logits, which train reliably from scratch.
 * - cnn: a small VGG-style network for CIFAR-like 32x32x3: conv 32@3x3 same, conv 32@3x3 same, maxpool 2,
 *   conv 64@3x3 same, conv 64@3x3 same, maxpool 2, flatten, dense 512 ReLU, dense numClasses (logits).
 *   All convolutions are ReLU. 2,168,362 parameters for 32x32x3 and 10 classes.
 */
export function buildModel(spec: ModelSpec): tf.LayersModel {
  const s = validateModelSpec(spec);
  const [h, w, c] = s.inputShape;
  let seed = s.seed;
  const init = (kind: 'he' | 'glorot') => {
    const args = seed == null ? {} : { seed: seed++ };
    return kind === 'he' ? tf.initializers.heNormal(args) : tf.initializers.glorotNormal(args);
  };
  const channelsFirst = s.dataFormat === 'channelsFirst';
  const input = tf.input({ shape: channelsFirst ? [c, h, w] : [h, w, c], name: 'image' });
  let x = input as tf.SymbolicTensor;
  if (channelsFirst) x = tf.layers.permute({ dims: [2, 3, 1], name: 'to_nhwc' }).apply(x) as tf.SymbolicTensor;

  const conv = (name: string, filters: number, kernelSize: number, padding: 'valid' | 'same') =>
    tf.layers.conv2d({ name, filters, kernelSize, padding, activation: 'relu', kernelInitializer: init('he') });
  const pool = (name: string) => tf.layers.maxPooling2d({ name, poolSize: 2, strides: 2 });
  const dense = (name: string, units: number, relu: boolean) =>
    tf.layers.dense({
      name,
      units,
      activation: relu ? 'relu' : 'linear',
      kernelInitializer: init(relu ? 'he' : 'glorot'),
    });

  const layers: tf.layers.Layer[] =
    s.name === 'lenet5'
      ? [
          conv('conv1', 6, 5, 'valid'),
          pool('pool1'),
          conv('conv2', 16, 5, 'valid'),
          pool('pool2'),
          tf.layers.flatten({ name: 'flatten' }),
          dense('fc1', 120, true),
          dense('fc2', 84, true),
          dense('fc3', s.numClasses, false),
        ]
      : [
          conv('conv1', 32, 3, 'same'),
          conv('conv2', 32, 3, 'same'),
          pool('pool1'),
          conv('conv3', 64, 3, 'same'),
          conv('conv4', 64, 3, 'same'),
          pool('pool2'),
          tf.layers.flatten({ name: 'flatten' }),
          dense('fc1', 512, true),
          dense('fc2', s.numClasses, false),
        ];
  for (const layer of layers) x = layer.apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: s.name });
}
