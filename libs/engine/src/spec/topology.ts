/**
 * Keras / TensorFlow.js layers topologies (the JSON `model.to_json()` and tfjs `model.toJSON()` write),
 * checked and summarized without TensorFlow.js: size and nesting limits before parsing, an allowed list
 * of layer classes (no Lambda, no custom objects), shape inference and parameter counts per layer.
 * The zoo models are generated in this same format (zoo.ts), so a built-in network and the same
 * network submitted as a topology take one path.
 *
 * Supported format: Keras 2 / tfjs (`inbound_nodes: [[[name, nodeIndex, tensorIndex, kwargs]]]`),
 * `Sequential`, `Model` or `Functional`, optionally wrapped in `{ modelTopology }` or `{ model_config }`.
 */

export class TopologyError extends Error {
  constructor(
    message: string,
    readonly layer?: string,
  ) {
    super(layer ? `layer "${layer}": ${message}` : message);
    this.name = 'TopologyError';
  }
}

/** A model over the parameter limit (the team's, or the default): the count, the limit and the largest layer. */
export class ParameterLimitError extends TopologyError {
  constructor(
    readonly totalParams: number,
    readonly maxParams: number,
    readonly largest: { name: string; params: number },
  ) {
    super(`${totalParams} parameters exceed the limit of ${maxParams} (largest layer: ${largest.params})`, largest.name);
    this.name = 'ParameterLimitError';
  }
}

export interface TopologyLimits {
  /** JSON text size in bytes (default 1 MiB). */
  maxBytes: number;
  /** Nesting depth of the JSON (default 40). */
  maxDepth: number;
  /** Layers (default 1,000). */
  maxLayers: number;
  /** Total parameters, trainable and not (default 50,000,000). */
  maxParams: number;
}

export const DEFAULT_TOPOLOGY_LIMITS: TopologyLimits = { maxBytes: 1 << 20, maxDepth: 40, maxLayers: 1000, maxParams: 50_000_000 };

export interface LayerSummary {
  name: string;
  className: string;
  /** Without the batch dimension. */
  outputShape: number[];
  params: number;
  trainableParams: number;
  /** Names of the layers feeding this one. */
  inbound: string[];
}

export interface ModelSummary {
  name: string;
  inputShape: number[];
  outputShape: number[];
  layers: LayerSummary[];
  totalParams: number;
  trainableParams: number;
}

export type KerasConfig = Record<string, unknown>;
export interface KerasLayer {
  class_name: string;
  config: KerasConfig;
  name?: string;
  inbound_nodes?: unknown[];
}
export interface KerasTopology {
  class_name: 'Model' | 'Functional' | 'Sequential';
  config: { name?: string; layers: KerasLayer[]; input_layers?: unknown[]; output_layers?: unknown[] } | KerasLayer[];
  keras_version?: string;
  backend?: string;
}

export const ALLOWED_LAYERS = [
  'InputLayer',
  'Dense',
  'Conv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Flatten',
  'Dropout',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ZeroPadding2D',
  'Add',
  'Concatenate',
  'Reshape',
  'Permute',
] as const;

/** Nested objects (initializers, regularizers, constraints) a layer config may name. */
const ALLOWED_OBJECTS = new Set([
  'Zeros', 'Ones', 'Constant', 'RandomNormal', 'RandomUniform', 'TruncatedNormal', 'VarianceScaling',
  'GlorotNormal', 'GlorotUniform', 'HeNormal', 'HeUniform', 'LeCunNormal', 'LeCunUniform', 'Orthogonal', 'Identity',
  'L1L2', 'L1', 'L2', 'MaxNorm', 'MinMaxNorm', 'NonNeg', 'UnitNorm',
]);
const ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hard_sigmoid', 'tanh', 'softmax', 'softplus', 'softsign', 'swish', 'mish', 'gelu']);

/**
 * Checks size and nesting depth of JSON text without parsing it (a 10,000-deep or 50 MB document is
 * rejected in one pass over the first bytes that break a limit), then parses it.
 */
export function parseTopologyText(text: string, limits: Partial<TopologyLimits> = {}): unknown {
  const { maxBytes, maxDepth } = { ...DEFAULT_TOPOLOGY_LIMITS, ...limits };
  if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new TopologyError(`topology JSON is larger than ${maxBytes} bytes`);
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92) i++; // backslash: skip the escaped character
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 || ch === 91) {
      if (++depth > maxDepth) throw new TopologyError(`topology JSON is nested deeper than ${maxDepth} levels`);
    } else if (ch === 125 || ch === 93) depth--;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TopologyError(`topology is not valid JSON: ${(e as Error).message.slice(0, 120)}`);
  }
}

/** Iterative size/depth check of an already parsed value (no recursion, stops at the first excess). */
export function checkTopologyValue(value: unknown, limits: Partial<TopologyLimits> = {}): void {
  const { maxBytes, maxDepth } = { ...DEFAULT_TOPOLOGY_LIMITS, ...limits };
  const stack: Array<[unknown, number]> = [[value, 1]];
  let size = 0;
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v !== null && typeof v === 'object') {
      if (d > maxDepth) throw new TopologyError(`topology JSON is nested deeper than ${maxDepth} levels`);
      const entries = Array.isArray(v) ? v : Object.entries(v as object).flat();
      size += 2 + entries.length;
      for (const e of entries) stack.push([e, d + 1]);
    } else size += typeof v === 'string' ? v.length + 2 : 8;
    if (size > maxBytes) throw new TopologyError(`topology JSON is larger than ${maxBytes} bytes`);
  }
}

/** Unwraps `{ modelTopology }` / `{ model_config }` and checks the outer shape. */
export function normalizeTopology(value: unknown, limits: Partial<TopologyLimits> = {}): KerasTopology {
  let v = typeof value === 'string' ? parseTopologyText(value, limits) : (checkTopologyValue(value, limits), value);
  for (const key of ['modelTopology', 'model_config']) {
    if (isObject(v) && key in v) v = (v as Record<string, unknown>)[key];
  }
  if (!isObject(v)) throw new TopologyError('topology must be a JSON object with class_name and config');
  const cls = v.class_name;
  if (cls !== 'Sequential' && cls !== 'Model' && cls !== 'Functional') {
    throw new TopologyError(`topology class_name must be Sequential, Model or Functional, got ${short(cls)}`);
  }
  const config = v.config;
  const layers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(layers) || layers.length === 0) throw new TopologyError('topology config.layers must be a non-empty array');
  return v as unknown as KerasTopology;
}

function layersOf(t: KerasTopology): KerasLayer[] {
  return (Array.isArray(t.config) ? t.config : t.config.layers) as KerasLayer[];
}

export interface AnalyzeOptions extends Partial<TopologyLimits> {
  /** The sample shape the dataset feeds, e.g. [32, 32, 1]. */
  inputShape?: number[];
  /** The output must have exactly this many units. */
  numClasses?: number;
}

/**
 * Validates a topology and returns its summary. Throws TopologyError naming the offending layer:
 * a disallowed class, a custom object, a shape that does not fit, an output that is not
 * [numClasses] logits, or too many parameters.
 */
export function analyzeTopology(value: unknown, opts: AnalyzeOptions = {}): ModelSummary {
  const limits = { ...DEFAULT_TOPOLOGY_LIMITS, ...opts };
  const t = normalizeTopology(value, limits);
  const layers = layersOf(t);
  if (layers.length > limits.maxLayers) throw new TopologyError(`topology has ${layers.length} layers, more than the limit of ${limits.maxLayers}`);
  const shapes = new Map<string, number[]>();
  const summaries: LayerSummary[] = [];
  const sequential = t.class_name === 'Sequential';
  let prev: string | undefined;
  let inputName: string | undefined;
  let inputShape: number[] | undefined;
  const seen = new Set<string>();

  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    if (!isObject(layer) || typeof layer.class_name !== 'string' || !isObject(layer.config)) {
      throw new TopologyError(`layer #${i} must be an object with class_name and config`);
    }
    const config = layer.config as KerasConfig;
    const name = typeof config.name === 'string' ? config.name : typeof layer.name === 'string' ? layer.name : `#${i}`;
    if (!/^[A-Za-z0-9_.\-/]{1,100}$/.test(name)) throw new TopologyError(`layer #${i} has an invalid name ${short(name)}`);
    if (seen.has(name)) throw new TopologyError('duplicate layer name', name);
    seen.add(name);
    const cls = layer.class_name;
    if (!(ALLOWED_LAYERS as readonly string[]).includes(cls)) {
      throw new TopologyError(`layer class ${short(cls)} is not allowed; allowed: ${ALLOWED_LAYERS.join(', ')}`, name);
    }
    checkNestedObjects(config, name);
    if (config.dtype != null && config.dtype !== 'float32' && !(isObject(config.dtype))) {
      throw new TopologyError(`dtype must be float32, got ${short(config.dtype)}`, name);
    }
    if (config.data_format != null && config.data_format !== 'channels_last') {
      throw new TopologyError(`data_format must be channels_last, got ${short(config.data_format)}`, name);
    }
    if (config.activation != null && (typeof config.activation !== 'string' || !ACTIVATIONS.has(config.activation))) {
      throw new TopologyError(`activation ${short(config.activation)} is not allowed; allowed: ${[...ACTIVATIONS].join(', ')}`, name);
    }

    // Inputs of this layer.
    let inbound: string[];
    const declared = (config.batch_input_shape ?? config.batch_shape) as unknown;
    if (cls === 'InputLayer' || (sequential && i === 0 && declared != null)) {
      if (!Array.isArray(declared) || declared.length < 2 || !declared.slice(1).every((d) => Number.isInteger(d) && (d as number) > 0)) {
        throw new TopologyError(`batch_input_shape must be [null, ...positive integers], got ${short(declared)}`, name);
      }
      if (inputShape) throw new TopologyError('only one input is supported', name);
      inputShape = (declared as number[]).slice(1);
      inputName = name;
      if (opts.inputShape && !sameShape(inputShape, opts.inputShape)) {
        throw new TopologyError(`input shape [${inputShape}] does not match the dataset's samples [${opts.inputShape}]`, name);
      }
    }
    if (cls === 'InputLayer') {
      shapes.set(name, inputShape!);
      summaries.push({ name, className: cls, outputShape: inputShape!, params: 0, trainableParams: 0, inbound: [] });
      prev = name;
      continue;
    }
    if (sequential) {
      if (i === 0 && declared == null) throw new TopologyError('the first layer of a Sequential topology needs batch_input_shape', name);
      inbound = i === 0 || prev === undefined ? [] : [prev];
    } else {
      inbound = inboundNames(layer, name);
    }
    const inShapes = inbound.map((n) => {
      const s = shapes.get(n);
      if (!s) throw new TopologyError(`input ${short(n, 40)} is not a layer defined before this one`, name);
      return s;
    });
    if (sequential && i === 0) inShapes.push(inputShape!);
    const { shape, params, trainable } = inferLayer(cls, config, inShapes, name);
    shapes.set(name, shape);
    summaries.push({ name, className: cls, outputShape: shape, params, trainableParams: trainable, inbound: sequential && i === 0 ? [] : inbound });
    prev = name;
  }

  if (!inputShape || !inputName) throw new TopologyError('topology has no input layer (InputLayer or batch_input_shape)');
  let outputName = prev!;
  if (!sequential) {
    const cfg = t.config as { input_layers?: unknown[]; output_layers?: unknown[] };
    const ins = refNames(cfg.input_layers, 'input_layers');
    const outs = refNames(cfg.output_layers, 'output_layers');
    if (ins.length !== 1 || outs.length !== 1) throw new TopologyError('exactly one input layer and one output layer are supported');
    if (ins[0] !== inputName) throw new TopologyError(`input_layers names "${short(ins[0], 40)}", which is not the InputLayer`);
    if (!shapes.has(outs[0])) throw new TopologyError(`output_layers names "${short(outs[0], 40)}", which is not a layer`);
    outputName = outs[0];
  }
  const outShape = shapes.get(outputName)!;
  const outLayer = layers.find((l) => ((l.config as KerasConfig).name ?? l.name) === outputName)!;
  if (opts.numClasses != null && (outShape.length !== 1 || outShape[0] !== opts.numClasses)) {
    throw new TopologyError(`output shape [${outShape}] must be [${opts.numClasses}] (one logit per class)`, outputName);
  }
  const act = (outLayer.config as KerasConfig).activation;
  if (outLayer.class_name !== 'Dense' || (act != null && act !== 'linear')) {
    throw new TopologyError('the output layer must be a Dense layer with linear activation (logits; the loss applies softmax or sigmoid)', outputName);
  }
  const totalParams = summaries.reduce((s, l) => s + l.params, 0);
  const trainableParams = summaries.reduce((s, l) => s + l.trainableParams, 0);
  if (totalParams > limits.maxParams) {
    const biggest = summaries.reduce((a, b) => (b.params > a.params ? b : a));
    throw new ParameterLimitError(totalParams, limits.maxParams, { name: biggest.name, params: biggest.params });
  }
  const name = Array.isArray(t.config) ? 'sequential' : typeof t.config.name === 'string' ? t.config.name : 'model';
  return { name, inputShape, outputShape: outShape, layers: summaries, totalParams, trainableParams };
}

function inboundNames(layer: KerasLayer, name: string): string[] {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) throw new TopologyError('inbound_nodes must name the layers feeding this one', name);
  if (nodes.length > 1) throw new TopologyError('shared layers (more than one inbound node) are not supported', name);
  const node = nodes[0];
  if (!Array.isArray(node) || node.length === 0) {
    throw new TopologyError('inbound_nodes must be in the Keras 2 / tfjs format [[[name, 0, 0, {}]]]', name);
  }
  return node.map((ref) => {
    if (!Array.isArray(ref) || typeof ref[0] !== 'string' || (ref[1] ?? 0) !== 0 || (ref[2] ?? 0) !== 0) {
      throw new TopologyError('each inbound node must be [layerName, 0, 0, {}]', name);
    }
    if (isObject(ref[3]) && Object.keys(ref[3]).length > 0) throw new TopologyError('call keyword arguments in inbound_nodes are not supported', name);
    return ref[0];
  });
}

function refNames(refs: unknown, what: string): string[] {
  if (!Array.isArray(refs)) throw new TopologyError(`config.${what} must be a list like [["name", 0, 0]]`);
  return refs.map((r) => {
    if (!Array.isArray(r) || typeof r[0] !== 'string') throw new TopologyError(`config.${what} must be a list like [["name", 0, 0]]`);
    return r[0];
  });
}

/** Every nested { class_name } inside a layer's config must be a known initializer/regularizer/constraint. */
function checkNestedObjects(config: KerasConfig, layer: string): void {
  const stack: unknown[] = Object.values(config);
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (isObject(v)) {
      if ('class_name' in v && !ALLOWED_OBJECTS.has(v.class_name as string)) {
        throw new TopologyError(`custom object ${short(v.class_name)} is not allowed`, layer);
      }
      stack.push(...Object.values(v));
    }
  }
}

function pair(v: unknown, what: string, layer: string, dflt?: [number, number]): [number, number] {
  if (v == null && dflt) return dflt;
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isInteger(d) && d > 0)) {
    throw new TopologyError(`${what} must be a positive integer or a pair of them, got ${short(v)}`, layer);
  }
  return p as [number, number];
}

function convOut(size: number, k: number, stride: number, padding: unknown, dilation: number, layer: string): number {
  const ek = (k - 1) * dilation + 1;
  if (padding === 'same') return Math.ceil(size / stride);
  if (padding !== 'valid' && padding != null) throw new TopologyError(`padding must be valid or same, got ${short(padding)}`, layer);
  const out = Math.floor((size - ek) / stride) + 1;
  if (out < 1) throw new TopologyError(`a ${k}x${k} window does not fit an input of side ${size}`, layer);
  return out;
}

function one(inShapes: number[][], layer: string): number[] {
  if (inShapes.length !== 1) throw new TopologyError(`takes one input, got ${inShapes.length}`, layer);
  return inShapes[0];
}

function image(shape: number[], layer: string): [number, number, number] {
  if (shape.length !== 3) throw new TopologyError(`needs an image input [height, width, channels], got [${shape}]`, layer);
  return shape as [number, number, number];
}

function inferLayer(cls: string, c: KerasConfig, inShapes: number[][], layer: string): { shape: number[]; params: number; trainable: number } {
  const trainableFlag = c.trainable !== false;
  const out = (shape: number[], params = 0, nonTrainable = 0) => ({
    shape,
    params: params + nonTrainable,
    trainable: trainableFlag ? params : 0,
  });
  const bias = c.use_bias !== false;
  switch (cls) {
    case 'Dense': {
      const s = one(inShapes, layer);
      const units = c.units;
      if (!Number.isInteger(units) || (units as number) < 1) throw new TopologyError(`units must be a positive integer, got ${short(units)}`, layer);
      const inF = s[s.length - 1];
      return out([...s.slice(0, -1), units as number], inF * (units as number) + (bias ? (units as number) : 0));
    }
    case 'Conv2D': {
      const [h, w, ch] = image(one(inShapes, layer), layer);
      const filters = c.filters;
      if (!Number.isInteger(filters) || (filters as number) < 1) throw new TopologyError(`filters must be a positive integer, got ${short(filters)}`, layer);
      const [kh, kw] = pair(c.kernel_size, 'kernel_size', layer);
      const [sh, sw] = pair(c.strides, 'strides', layer, [1, 1]);
      const [dh, dw] = pair(c.dilation_rate, 'dilation_rate', layer, [1, 1]);
      if (c.groups != null && c.groups !== 1) throw new TopologyError('grouped convolutions are not supported', layer);
      const f = filters as number;
      return out([convOut(h, kh, sh, c.padding, dh, layer), convOut(w, kw, sw, c.padding, dw, layer), f], kh * kw * ch * f + (bias ? f : 0));
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const [h, w, ch] = image(one(inShapes, layer), layer);
      const [ph, pw] = pair(c.pool_size, 'pool_size', layer, [2, 2]);
      const [sh, sw] = c.strides == null ? [ph, pw] : pair(c.strides, 'strides', layer);
      return out([convOut(h, ph, sh, c.padding, 1, layer), convOut(w, pw, sw, c.padding, 1, layer), ch]);
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      const [, , ch] = image(one(inShapes, layer), layer);
      if (c.keepdims === true) return out([1, 1, ch]);
      return out([ch]);
    }
    case 'Flatten':
      return out([one(inShapes, layer).reduce((a, b) => a * b, 1)]);
    case 'Dropout': {
      const rate = c.rate;
      if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new TopologyError(`rate must be in [0, 1), got ${short(rate)}`, layer);
      return out(one(inShapes, layer));
    }
    case 'BatchNormalization': {
      const s = one(inShapes, layer);
      const axis = Array.isArray(c.axis) ? c.axis : c.axis ?? -1;
      if (axis !== -1 && axis !== s.length) throw new TopologyError(`only the last axis can be normalized, got axis ${short(c.axis)}`, layer);
      const ch = s[s.length - 1];
      const affine = (c.center !== false ? ch : 0) + (c.scale !== false ? ch : 0);
      return out(s, affine, 2 * ch);
    }
    case 'Activation':
      if (typeof c.activation !== 'string') throw new TopologyError('activation is required', layer);
      return out(one(inShapes, layer));
    case 'ReLU':
    case 'LeakyReLU':
      return out(one(inShapes, layer));
    case 'ZeroPadding2D': {
      const [h, w, ch] = image(one(inShapes, layer), layer);
      const p = c.padding ?? 1;
      let t: number, b: number, l: number, r: number;
      if (typeof p === 'number') [t, b, l, r] = [p, p, p, p];
      else if (Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number')) [t, b, l, r] = [p[0], p[0], p[1], p[1]];
      else if (Array.isArray(p) && p.length === 2 && p.every((x) => Array.isArray(x) && x.length === 2)) [[t, b], [l, r]] = p as number[][];
      else throw new TopologyError(`padding must be an integer, a pair, or a pair of pairs, got ${short(p)}`, layer);
      if (![t, b, l, r].every((x) => Number.isInteger(x) && x >= 0)) throw new TopologyError('padding must be non-negative integers', layer);
      return out([h + t + b, w + l + r, ch]);
    }
    case 'Add': {
      if (inShapes.length < 2) throw new TopologyError(`needs at least two inputs, got ${inShapes.length}`, layer);
      if (!inShapes.every((s) => sameShape(s, inShapes[0]))) {
        throw new TopologyError(`inputs have different shapes: ${inShapes.map((s) => `[${s}]`).join(', ')}`, layer);
      }
      return out(inShapes[0]);
    }
    case 'Concatenate': {
      if (inShapes.length < 2) throw new TopologyError(`needs at least two inputs, got ${inShapes.length}`, layer);
      const rank = inShapes[0].length;
      const axis = (c.axis as number | undefined) ?? -1;
      const ax = axis < 0 ? rank + axis : axis - 1;
      if (!Number.isInteger(ax) || ax < 0 || ax >= rank) throw new TopologyError(`axis ${short(c.axis)} is out of range`, layer);
      const ok = inShapes.every((s) => s.length === rank && s.every((d, i) => i === ax || d === inShapes[0][i]));
      if (!ok) throw new TopologyError(`inputs ${inShapes.map((s) => `[${s}]`).join(', ')} differ outside axis ${axis}`, layer);
      const shape = inShapes[0].slice();
      shape[ax] = inShapes.reduce((s, x) => s + x[ax], 0);
      return out(shape);
    }
    case 'Reshape': {
      const s = one(inShapes, layer);
      const target = c.target_shape;
      if (!Array.isArray(target) || !target.every((d) => Number.isInteger(d) && (d > 0 || d === -1))) {
        throw new TopologyError(`target_shape must be a list of positive integers (one may be -1), got ${short(target)}`, layer);
      }
      const size = s.reduce((a, b) => a * b, 1);
      const known = (target as number[]).filter((d) => d > 0).reduce((a, b) => a * b, 1);
      const free = (target as number[]).filter((d) => d === -1).length;
      if (free > 1 || (free === 0 && known !== size) || (free === 1 && size % known !== 0)) {
        throw new TopologyError(`cannot reshape [${s}] to [${target}]`, layer);
      }
      return out((target as number[]).map((d) => (d === -1 ? size / known : d)));
    }
    case 'Permute': {
      const s = one(inShapes, layer);
      const dims = c.dims;
      const sorted = Array.isArray(dims) ? [...dims].sort() : [];
      if (!Array.isArray(dims) || dims.length !== s.length || !sorted.every((d, i) => d === i + 1)) {
        throw new TopologyError(`dims must be a permutation of 1..${s.length}, got ${short(dims)}`, layer);
      }
      return out((dims as number[]).map((d) => s[d - 1]));
    }
  }
  throw new TopologyError(`layer class ${short(cls)} is not allowed`, layer);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A short, printable prefix of a bad value (errors never echo a whole document). */
export function short(v: unknown, max = 60): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
