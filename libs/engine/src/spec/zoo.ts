/**
 * The model zoo as Keras topologies (pure JSON, no TensorFlow.js): each zoo model is generated in
 * the same format a user's custom topology comes in, so summary, validation and building are one path.
 * Models end in logits (Dense, linear); the loss applies softmax (or sigmoid) itself.
 */
import type { KerasLayer, KerasTopology } from './topology';

export type DataFormat = 'channelsLast' | 'channelsFirst';

export interface ZooContext {
  /** Sample shape as [height, width, channels]. */
  inputShape: [number, number, number];
  numClasses: number;
  /** 'channelsFirst' batches ([n, c, h, w], after HWC2CHW) get a Permute to NHWC at the input. */
  dataFormat?: DataFormat;
  /** Seeds each initializer (seed, seed + 1, ... in layer order); random when absent. */
  seed?: number;
}

type Init = { class_name: string; config: Record<string, unknown> };

/** Builds a functional topology layer by layer. */
export class TopologyBuilder {
  private readonly layers: KerasLayer[] = [];
  private seed?: number;
  private counts = new Map<string, number>();

  constructor(
    readonly name: string,
    seed?: number,
  ) {
    this.seed = seed;
  }

  /** He normal (ReLU layers) or Glorot normal (logits), as tf.initializers.heNormal / glorotNormal. */
  init(kind: 'he' | 'glorot'): Init {
    const seed = this.seed == null ? null : this.seed++;
    return kind === 'he'
      ? { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'normal', seed } }
      : { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed } };
  }

  uniqueName(prefix: string): string {
    const n = (this.counts.get(prefix) ?? 0) + 1;
    this.counts.set(prefix, n);
    return `${prefix}${n}`;
  }

  input(shape: number[], name = 'image'): string {
    this.layers.push({
      class_name: 'InputLayer',
      name,
      config: { batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false, name },
      inbound_nodes: [],
    });
    return name;
  }

  add(className: string, name: string, config: Record<string, unknown>, inputs: string | string[]): string {
    const ins = Array.isArray(inputs) ? inputs : [inputs];
    this.layers.push({
      class_name: className,
      name,
      config: { name, trainable: true, ...config },
      inbound_nodes: [ins.map((n) => [n, 0, 0, {}])],
    });
    return name;
  }

  conv(name: string, x: string, filters: number, kernelSize: number, o: { padding?: 'valid' | 'same'; strides?: number; activation?: string; useBias?: boolean } = {}): string {
    return this.add(
      'Conv2D',
      name,
      {
        filters,
        kernel_size: [kernelSize, kernelSize],
        strides: [o.strides ?? 1, o.strides ?? 1],
        padding: o.padding ?? 'same',
        data_format: 'channels_last',
        dilation_rate: [1, 1],
        activation: o.activation ?? 'relu',
        use_bias: o.useBias ?? true,
        kernel_initializer: this.init('he'),
        bias_initializer: { class_name: 'Zeros', config: {} },
      },
      x,
    );
  }

  dense(name: string, x: string, units: number, activation = 'relu'): string {
    return this.add(
      'Dense',
      name,
      {
        units,
        activation,
        use_bias: true,
        kernel_initializer: this.init(activation === 'linear' ? 'glorot' : 'he'),
        bias_initializer: { class_name: 'Zeros', config: {} },
      },
      x,
    );
  }

  pool(name: string, x: string, size = 2, kind: 'max' | 'avg' = 'max'): string {
    return this.add(kind === 'max' ? 'MaxPooling2D' : 'AveragePooling2D', name, { pool_size: [size, size], strides: [size, size], padding: 'valid', data_format: 'channels_last' }, x);
  }

  batchNorm(name: string, x: string): string {
    return this.add('BatchNormalization', name, { axis: -1, momentum: 0.99, epsilon: 1e-3, center: true, scale: true }, x);
  }

  activation(name: string, x: string, activation: string): string {
    return this.add('Activation', name, { activation }, x);
  }

  dropout(name: string, x: string, rate: number): string {
    return this.add('Dropout', name, { rate }, x);
  }

  flatten(name: string, x: string): string {
    return this.add('Flatten', name, {}, x);
  }

  build(input: string, output: string): KerasTopology {
    return {
      class_name: 'Model',
      config: { name: this.name, layers: this.layers, input_layers: [[input, 0, 0]], output_layers: [[output, 0, 0]] },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    };
  }
}

/** The input layer (and the NCHW → NHWC Permute when batches are channels-first). */
export function startModel(b: TopologyBuilder, ctx: ZooContext): string {
  const [h, w, c] = ctx.inputShape;
  if (ctx.dataFormat === 'channelsFirst') {
    const x = b.input([c, h, w]);
    return b.add('Permute', 'to_nhwc', { dims: [2, 3, 1] }, x);
  }
  return b.input([h, w, c]);
}
