/**
 * One converter per tfjs layer class, in a registry keyed by the class name tfjs reports
 * (`layer.getClassName()`). A converter reads the layer's config and weights and adds ONNX nodes to
 * the graph; it receives the layer's input values and returns its output value.
 *
 * Layout: 4-D values may be held as NCHW inside the graph (see graph.ts). Converters that care
 * (convolution, pooling, batch-norm, padding) ask for NCHW; Flatten, Dense on 3+-D input, Reshape and
 * Permute ask for the tfjs layout, so their results are exactly tfjs' (Flatten in NHWC order).
 */
import type * as tf from '@tensorflow/tfjs';
import { GraphBuilder, Value, permuteArray } from './graph';
import { OnnxExportError } from './errors';

/** What a converter gets to work with. */
export interface LayerContext {
  layer: tf.layers.Layer;
  /** `layer.getConfig()`: the layer's serialized config (kernelSize, strides, activation...). */
  config: Record<string, unknown>;
  inputs: Value[];
  /** tfjs shape of the layer's output. */
  outputShape: (number | null)[];
  g: GraphBuilder;
  /** The layer's weight whose name ends in `/${suffix}` (kernel, bias, gamma...), or undefined. */
  weight(suffix: string): { data: Float32Array; shape: number[] } | undefined;
  /** Same, throwing when the layer has no such weight. */
  requireWeight(suffix: string): { data: Float32Array; shape: number[] };
  /** An error naming this layer and its class. */
  fail(reason: string): OnnxExportError;
}

export type LayerConverter = (ctx: LayerContext) => Value;

const single = (ctx: LayerContext): Value => {
  if (ctx.inputs.length !== 1) throw ctx.fail(`expected one input, got ${ctx.inputs.length}`);
  return ctx.inputs[0];
};

const pair = (v: unknown, what: string, ctx: LayerContext): [number, number] => {
  const a = typeof v === 'number' ? [v, v] : (v as number[]);
  if (!Array.isArray(a) || a.length !== 2 || !a.every((n) => Number.isInteger(n) && n > 0)) {
    throw ctx.fail(`${what} ${JSON.stringify(v)} is not one or two positive integers`);
  }
  return [a[0], a[1]];
};

const channelsLast = (ctx: LayerContext) => {
  const f = ctx.config.dataFormat;
  if (f != null && f !== 'channelsLast') throw ctx.fail(`dataFormat ${String(f)} is not supported (channelsLast only)`);
};

/**
 * ONNX `pads` [top, left, bottom, right] for tfjs padding 'valid' or 'same' over the spatial size of
 * the input. 'same' pads like TensorFlow: total = max((ceil(in / s) - 1) * s + (k - 1) * d + 1 - in, 0),
 * the smaller half before. Unknown spatial sizes fall back to auto_pad SAME_UPPER, which means the same.
 */
function paddingAttrs(
  ctx: LayerContext,
  input: Value,
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number] = [1, 1],
): { pads: number[] } | { auto_pad: string } {
  const padding = ctx.config.padding ?? 'valid';
  if (padding === 'valid') return { pads: [0, 0, 0, 0] };
  if (padding !== 'same') throw ctx.fail(`padding ${String(padding)} is not supported (valid or same)`);
  const [, h, w] = input.shape;
  if (h == null || w == null) return { auto_pad: 'SAME_UPPER' };
  const total = (size: number, i: number) =>
    Math.max((Math.ceil(size / strides[i]) - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size, 0);
  const th = total(h, 0);
  const tw = total(w, 1);
  return { pads: [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)] };
}

const out = (ctx: LayerContext, name: string, layout: Value['layout']): Value => ({ name, shape: ctx.outputShape, layout });

/**
 * A tfjs activation by its serialized name, applied to `v` (any layout: all of these are
 * elementwise except the softmaxes, which work on tfjs' last axis).
 */
export function applyActivation(ctx: LayerContext, v: Value, activation: unknown): Value {
  const name = activation == null ? 'linear' : String(activation);
  const g = ctx.g;
  const hint = `${ctx.layer.name}_${name}`;
  const unary = (op: string, attrs = {}) => ({ ...v, name: g.node(op, [v.name], hint, attrs) });
  const lastAxis = () => GraphBuilder.axisOf(-1, v.shape.length, v.layout);
  switch (name) {
    case 'linear':
      return v;
    case 'relu':
      return unary('Relu');
    case 'relu6':
      return { ...v, name: g.node('Clip', [v.name, scalar(g, 'zero', 0), scalar(g, 'six', 6)], hint) };
    case 'sigmoid':
      return unary('Sigmoid');
    case 'tanh':
      return unary('Tanh');
    case 'softmax':
      return unary('Softmax', { axis: lastAxis() });
    case 'logSoftmax':
      return unary('LogSoftmax', { axis: lastAxis() });
    case 'elu':
      return unary('Elu', { alpha: 1 });
    case 'selu':
      return unary('Selu');
    case 'softplus':
      return unary('Softplus');
    case 'softsign':
      return unary('Softsign');
    case 'hardSigmoid':
      return unary('HardSigmoid', { alpha: 0.2, beta: 0.5 });
    case 'swish':
      return { ...v, name: g.node('Mul', [v.name, g.node('Sigmoid', [v.name], `${hint}_sigmoid`)], hint) };
    case 'mish': {
      const t = g.node('Tanh', [g.node('Softplus', [v.name], `${hint}_softplus`)], `${hint}_tanh`);
      return { ...v, name: g.node('Mul', [v.name, t], hint) };
    }
    case 'gelu': {
      // x * 0.5 * (1 + erf(x / sqrt 2)), as tfjs computes it.
      const erf = g.node('Erf', [g.node('Div', [v.name, scalar(g, 'sqrt2', Math.SQRT2)], `${hint}_scaled`)], `${hint}_erf`);
      const cdf = g.node('Mul', [g.node('Add', [erf, scalar(g, 'one', 1)], `${hint}_1p`), scalar(g, 'half', 0.5)], `${hint}_cdf`);
      return { ...v, name: g.node('Mul', [v.name, cdf], hint) };
    }
    default:
      throw ctx.fail(`activation ${name} is not supported`);
  }
}

/** A float32 scalar constant (one per use; they are tiny). */
function scalar(g: GraphBuilder, hint: string, value: number): string {
  return g.floats(hint, Float32Array.of(value), []);
}

// ---------------------------------------------------------------------------------------------
// Converters, one per layer class.

function conv2d(ctx: LayerContext): Value {
  channelsLast(ctx);
  const x = ctx.g.toNchw(single(ctx));
  const kernel = ctx.requireWeight('kernel'); // [kh, kw, in, out]
  const [kh, kw, ci, co] = kernel.shape;
  const strides = pair(ctx.config.strides ?? 1, 'strides', ctx);
  const dilations = pair(ctx.config.dilationRate ?? 1, 'dilationRate', ctx);
  const inputs = [x.name, ctx.g.floats(`${ctx.layer.name}_W`, permuteArray(kernel.data, kernel.shape, [3, 2, 0, 1]), [co, ci, kh, kw])];
  const bias = ctx.weight('bias');
  if (bias) inputs.push(ctx.g.floats(`${ctx.layer.name}_B`, bias.data, bias.shape));
  const y = ctx.g.node('Conv', inputs, ctx.layer.name, {
    kernel_shape: [kh, kw],
    strides,
    dilations,
    group: 1,
    ...paddingAttrs(ctx, x, [kh, kw], strides, dilations),
  });
  return applyActivation(ctx, out(ctx, y, 'nchw'), ctx.config.activation);
}

/** Depthwise: a grouped Conv with one group per input channel; tfjs output channel i*m+j = ONNX's. */
function depthwiseConv2d(ctx: LayerContext): Value {
  channelsLast(ctx);
  const x = ctx.g.toNchw(single(ctx));
  const kernel = ctx.requireWeight('depthwise_kernel'); // [kh, kw, in, multiplier]
  const [kh, kw, ci, m] = kernel.shape;
  const strides = pair(ctx.config.strides ?? 1, 'strides', ctx);
  const dilations = pair(ctx.config.dilationRate ?? 1, 'dilationRate', ctx);
  // [kh, kw, in, m] -> [in, m, kh, kw] = [in * m, 1, kh, kw]
  const w = ctx.g.floats(`${ctx.layer.name}_W`, permuteArray(kernel.data, kernel.shape, [2, 3, 0, 1]), [ci * m, 1, kh, kw]);
  const inputs = [x.name, w];
  const bias = ctx.weight('bias');
  if (bias) inputs.push(ctx.g.floats(`${ctx.layer.name}_B`, bias.data, bias.shape));
  const y = ctx.g.node('Conv', inputs, ctx.layer.name, {
    kernel_shape: [kh, kw],
    strides,
    dilations,
    group: ci,
    ...paddingAttrs(ctx, x, [kh, kw], strides, dilations),
  });
  return applyActivation(ctx, out(ctx, y, 'nchw'), ctx.config.activation);
}

const pooling = (op: 'MaxPool' | 'AveragePool') => (ctx: LayerContext): Value => {
  channelsLast(ctx);
  const x = ctx.g.toNchw(single(ctx));
  const kernel = pair(ctx.config.poolSize ?? 2, 'poolSize', ctx);
  const strides = pair(ctx.config.strides ?? kernel, 'strides', ctx);
  // AveragePool's count_include_pad defaults to 0: padding is left out of the mean, as in tfjs.
  const y = ctx.g.node(op, [x.name], ctx.layer.name, { kernel_shape: kernel, strides, ...paddingAttrs(ctx, x, kernel, strides) });
  return out(ctx, y, 'nchw');
};

/** Global pooling: [N, C, 1, 1] in ONNX, then Flatten to tfjs' [N, C]. */
const globalPooling = (op: 'GlobalAveragePool' | 'GlobalMaxPool') => (ctx: LayerContext): Value => {
  channelsLast(ctx);
  if (ctx.config.keepDims) throw ctx.fail('keepDims is not supported');
  const x = ctx.g.toNchw(single(ctx));
  const pooled = ctx.g.node(op, [x.name], `${ctx.layer.name}_pool`);
  return out(ctx, ctx.g.node('Flatten', [pooled], ctx.layer.name, { axis: 1 }), 'tf');
};

/** Dense: Gemm on [N, in]; on higher ranks tfjs applies the kernel to the last axis: MatMul + Add. */
function dense(ctx: LayerContext): Value {
  const x = ctx.g.toTf(single(ctx));
  const kernel = ctx.requireWeight('kernel'); // [in, units]
  const bias = ctx.weight('bias');
  const w = ctx.g.floats(`${ctx.layer.name}_W`, kernel.data, kernel.shape);
  const b = bias && ctx.g.floats(`${ctx.layer.name}_B`, bias.data, bias.shape);
  let y: string;
  if (x.shape.length === 2) {
    y = ctx.g.node('Gemm', b ? [x.name, w, b] : [x.name, w], ctx.layer.name);
  } else {
    y = ctx.g.node('MatMul', [x.name, w], b ? `${ctx.layer.name}_matmul` : ctx.layer.name);
    if (b) y = ctx.g.node('Add', [y, b], ctx.layer.name);
  }
  return applyActivation(ctx, out(ctx, y, 'tf'), ctx.config.activation);
}

/** Flatten in tfjs order: back to NHWC first, so the following Dense keeps its rows as trained. */
function flatten(ctx: LayerContext): Value {
  const x = ctx.g.toTf(single(ctx));
  if (x.shape.length === 2) return x;
  return out(ctx, ctx.g.node('Flatten', [x.name], ctx.layer.name, { axis: 1 }), 'tf');
}

/** Dropout and noise layers do nothing at inference. */
const identity = (ctx: LayerContext): Value => ({ ...single(ctx), shape: ctx.outputShape });

function batchNormalization(ctx: LayerContext): Value {
  const v = single(ctx);
  const rank = v.shape.length;
  const axis = Number(ctx.config.axis ?? -1);
  if (axis !== -1 && axis !== rank - 1) throw ctx.fail(`axis ${axis} is not supported (the channel axis, -1, only)`);
  if (rank !== 2 && rank !== 4) throw ctx.fail(`inputs of rank ${rank} are not supported (2 or 4)`);
  const x = rank === 4 ? ctx.g.toNchw(v) : v;
  const mean = ctx.requireWeight('moving_mean');
  const variance = ctx.requireWeight('moving_variance');
  const c = mean.data.length;
  const gamma = ctx.weight('gamma')?.data ?? new Float32Array(c).fill(1); // scale: false
  const beta = ctx.weight('beta')?.data ?? new Float32Array(c); // center: false
  const n = ctx.layer.name;
  const y = ctx.g.node(
    'BatchNormalization',
    [x.name, ctx.g.floats(`${n}_scale`, gamma, [c]), ctx.g.floats(`${n}_B`, beta, [c]), ctx.g.floats(`${n}_mean`, mean.data, [c]), ctx.g.floats(`${n}_var`, variance.data, [c])],
    n,
    { epsilon: Number(ctx.config.epsilon ?? 1e-3) },
  );
  return out(ctx, y, x.layout);
}

const activationLayer = (ctx: LayerContext): Value => applyActivation(ctx, single(ctx), ctx.config.activation);

function relu(ctx: LayerContext): Value {
  const x = single(ctx);
  const max = ctx.config.maxValue;
  if (max == null) return { ...x, name: ctx.g.node('Relu', [x.name], ctx.layer.name) };
  const lo = ctx.g.floats(`${ctx.layer.name}_min`, Float32Array.of(0), []);
  const hi = ctx.g.floats(`${ctx.layer.name}_max`, Float32Array.of(Number(max)), []);
  return { ...x, name: ctx.g.node('Clip', [x.name, lo, hi], ctx.layer.name) };
}

function leakyRelu(ctx: LayerContext): Value {
  const x = single(ctx);
  return { ...x, name: ctx.g.node('LeakyRelu', [x.name], ctx.layer.name, { alpha: Number(ctx.config.alpha ?? 0.3) }) };
}

function elu(ctx: LayerContext): Value {
  const x = single(ctx);
  return { ...x, name: ctx.g.node('Elu', [x.name], ctx.layer.name, { alpha: Number(ctx.config.alpha ?? 1) }) };
}

function thresholdedRelu(ctx: LayerContext): Value {
  const x = single(ctx);
  return { ...x, name: ctx.g.node('ThresholdedRelu', [x.name], ctx.layer.name, { alpha: Number(ctx.config.theta ?? 1) }) };
}

function softmaxLayer(ctx: LayerContext): Value {
  const x = single(ctx);
  const axis = ctx.config.axis ?? -1;
  if (typeof axis !== 'number') throw ctx.fail(`axis ${JSON.stringify(axis)} is not supported (one axis)`);
  return { ...x, name: ctx.g.node('Softmax', [x.name], ctx.layer.name, { axis: GraphBuilder.axisOf(axis, x.shape.length, x.layout) }) };
}

/** PReLU: alpha has the input's shape without the batch axis (1 on shared axes); NCHW wants [C, H, W]. */
function prelu(ctx: LayerContext): Value {
  const x = single(ctx);
  const alpha = ctx.requireWeight('alpha');
  let data = alpha.data;
  let dims = alpha.shape;
  if (x.layout === 'nchw') {
    data = permuteArray(data, dims, [2, 0, 1]);
    dims = [dims[2], dims[0], dims[1]];
  }
  return { ...x, name: ctx.g.node('PRelu', [x.name, ctx.g.floats(`${ctx.layer.name}_alpha`, data, dims)], ctx.layer.name) };
}

function zeroPadding2d(ctx: LayerContext): Value {
  channelsLast(ctx);
  const x = ctx.g.toNchw(single(ctx));
  // tfjs accepts n, [h, w] or [[top, bottom], [left, right]].
  const p = ctx.config.padding as number | [number, number] | [[number, number], [number, number]];
  const [[top, bottom], [left, right]]: number[][] =
    typeof p === 'number'
      ? [[p, p], [p, p]]
      : Array.isArray(p[0])
        ? (p as number[][])
        : [[p[0] as number, p[0] as number], [p[1] as number, p[1] as number]];
  const pads = ctx.g.int64s(`${ctx.layer.name}_pads`, [0, 0, top, left, 0, 0, bottom, right]);
  return out(ctx, ctx.g.node('Pad', [x.name, pads], ctx.layer.name, { mode: 'constant' }), 'nchw');
}

/** Inputs of a merge layer in one layout (the first input's). */
function sameLayout(ctx: LayerContext): Value[] {
  if (ctx.inputs.length < 2) throw ctx.fail(`expected at least two inputs, got ${ctx.inputs.length}`);
  const rank = ctx.inputs[0].shape.length;
  if (ctx.inputs.some((v) => v.shape.length !== rank)) throw ctx.fail('inputs of different ranks are not supported');
  const layout = ctx.inputs[0].layout;
  return ctx.inputs.map((v) => (layout === 'nchw' ? ctx.g.toNchw(v) : ctx.g.toTf(v)));
}

/** Add, Multiply, Maximum, Minimum: a chain of binary ops (ONNX broadcasts as tfjs does for equal ranks). */
const elementwise = (op: 'Add' | 'Mul' | 'Max' | 'Min') => (ctx: LayerContext): Value => {
  const xs = sameLayout(ctx);
  let acc = xs[0].name;
  xs.slice(1).forEach((v, i) => {
    acc = ctx.g.node(op, [acc, v.name], i === xs.length - 2 ? ctx.layer.name : `${ctx.layer.name}_${i}`);
  });
  return out(ctx, acc, xs[0].layout);
};

function average(ctx: LayerContext): Value {
  const xs = sameLayout(ctx);
  return out(ctx, ctx.g.node('Mean', xs.map((v) => v.name), ctx.layer.name), xs[0].layout);
}

function concatenate(ctx: LayerContext): Value {
  const xs = sameLayout(ctx);
  const axis = GraphBuilder.axisOf(Number(ctx.config.axis ?? -1), xs[0].shape.length, xs[0].layout);
  return out(ctx, ctx.g.node('Concat', xs.map((v) => v.name), ctx.layer.name, { axis }), xs[0].layout);
}

/** Reshape in tfjs order: [batch, ...targetShape], the batch copied from the input (0 in ONNX). */
function reshape(ctx: LayerContext): Value {
  const x = ctx.g.toTf(single(ctx));
  const target = ctx.config.targetShape as number[];
  if (!Array.isArray(target) || !target.every((d) => Number.isInteger(d) && (d > 0 || d === -1))) {
    throw ctx.fail(`targetShape ${JSON.stringify(target)} is not supported`);
  }
  const shape = ctx.g.int64s(`${ctx.layer.name}_shape`, [0, ...target]);
  return out(ctx, ctx.g.node('Reshape', [x.name, shape], ctx.layer.name), 'tf');
}

/** Permute: dims are 1-based and leave the batch axis alone. */
function permute(ctx: LayerContext): Value {
  const x = ctx.g.toTf(single(ctx));
  const dims = ctx.config.dims as number[];
  return out(ctx, ctx.g.transpose(x.name, [0, ...dims], ctx.layer.name), 'tf');
}

/** The registry: tfjs class name -> converter. README.md lists these. */
export const LAYER_CONVERTERS: Record<string, LayerConverter> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  MaxPooling2D: pooling('MaxPool'),
  AveragePooling2D: pooling('AveragePool'),
  GlobalAveragePooling2D: globalPooling('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPooling('GlobalMaxPool'),
  Dense: dense,
  Flatten: flatten,
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  BatchNormalization: batchNormalization,
  Activation: activationLayer,
  ReLU: relu,
  LeakyReLU: leakyRelu,
  ELU: elu,
  ThresholdedReLU: thresholdedRelu,
  Softmax: softmaxLayer,
  PReLU: prelu,
  ZeroPadding2D: zeroPadding2d,
  Add: elementwise('Add'),
  Multiply: elementwise('Mul'),
  Maximum: elementwise('Max'),
  Minimum: elementwise('Min'),
  Average: average,
  Concatenate: concatenate,
  Reshape: reshape,
  Permute: permute,
};

export const SUPPORTED_LAYERS = Object.keys(LAYER_CONVERTERS);
