/**
 * A small ONNX graph builder over `onnx-proto`'s generated protobuf classes: unique names, nodes,
 * initializers, and the one piece of bookkeeping the exporter needs, the layout of every 4-D value.
 *
 * TensorFlow.js keeps images NHWC; ONNX's Conv, pooling and BatchNormalization want NCHW. Each value
 * therefore records whether it holds the tfjs layout ('tf') or NCHW ('nchw'); converters ask for the
 * layout they need (`toNchw`, `toTf`), and the builder inserts a Transpose only where the layout
 * actually changes. Two Transposes in a row are composed into one (or none, when they cancel), and
 * `finish()` drops nodes and initializers nothing reads.
 */
import { onnx } from 'onnx-proto';

export type Layout = 'tf' | 'nchw';

/** A tensor in the graph being built. `shape` is the tfjs shape (batch first, null when dynamic). */
export interface Value {
  name: string;
  shape: (number | null)[];
  layout: Layout;
}

/** tfjs NHWC -> ONNX NCHW, and back. */
export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const NCHW_TO_NHWC = [0, 2, 3, 1];

export type AttributeValue = number | number[] | string | { floats: number[] };

/** The opset the exporter writes: Pad/Clip take tensors as inputs, Softmax works on one axis. */
export const OPSET_VERSION = 13;

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();
  /** Output name -> the Transpose that produced it (for composing consecutive Transposes). */
  private readonly transposes = new Map<string, { source: string; perm: number[] }>();
  /** `${name}|${perm}` -> the Transpose already emitted for it. */
  private readonly transposeCache = new Map<string, string>();

  /** A fresh tensor name, `hint` when free, else `hint_1`, `hint_2`... */
  uniqueName(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_./-]/g, '_') || 't';
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Reserves a name that comes from outside (the graph input). */
  reserve(name: string): void {
    if (this.used.has(name)) throw new Error(`tensor name ${name} is already used`);
    this.used.add(name);
  }

  /** Adds one node with a single output and returns that output's name. */
  node(opType: string, inputs: string[], hint: string, attrs: Record<string, AttributeValue> = {}): string {
    return this.push(opType, inputs, this.uniqueName(hint), attrs);
  }

  /** Identity(source) under a name reserved earlier (the graph's output name). */
  identityAs(source: string, reserved: string): string {
    if (!this.used.has(reserved)) throw new Error(`${reserved} was not reserved`);
    return this.push('Identity', [source], reserved, {});
  }

  private push(opType: string, inputs: string[], output: string, attrs: Record<string, AttributeValue>): string {
    this.nodes.push({
      opType,
      input: inputs,
      output: [output],
      name: output,
      attribute: Object.entries(attrs).map(([name, v]) => attribute(name, v)),
    });
    return output;
  }

  /** A float32 constant. */
  floats(hint: string, data: Float32Array, dims: number[]): string {
    const name = this.uniqueName(hint);
    this.initializers.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
    });
    return name;
  }

  /** An int64 constant (shapes, pads). */
  int64s(hint: string, values: number[]): string {
    const name = this.uniqueName(hint);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  }

  /**
   * Transpose(name, perm), reusing an identical Transpose and composing with the Transpose that
   * produced `name`: transpose(transpose(s, q), p) = transpose(s, q∘p); identity gives `s` itself.
   */
  transpose(name: string, perm: number[], hint: string): string {
    const prior = this.transposes.get(name);
    if (prior) {
      const composed = perm.map((p) => prior.perm[p]);
      return composed.every((p, i) => p === i) ? prior.source : this.transpose(prior.source, composed, hint);
    }
    if (perm.every((p, i) => p === i)) return name;
    const key = `${name}|${perm.join(',')}`;
    const cached = this.transposeCache.get(key);
    if (cached) return cached;
    const out = this.node('Transpose', [name], hint, { perm });
    this.transposes.set(out, { source: name, perm });
    this.transposeCache.set(key, out);
    return out;
  }

  /** The value in NCHW (4-D values only; other ranks have one layout). */
  toNchw(v: Value): Value {
    if (v.layout === 'nchw') return v;
    if (v.shape.length !== 4) throw new Error(`${v.name}: only 4-D values have an NCHW layout (rank ${v.shape.length})`);
    return { ...v, name: this.transpose(v.name, NHWC_TO_NCHW, `${v.name}_nchw`), layout: 'nchw' };
  }

  /** The value in tfjs' own layout (NHWC for images). */
  toTf(v: Value): Value {
    if (v.layout === 'tf') return v;
    return { ...v, name: this.transpose(v.name, NCHW_TO_NHWC, `${v.name}_nhwc`), layout: 'tf' };
  }

  /**
   * The ONNX axis holding tfjs axis `axis` (negative counts from the end) of a value in `layout`.
   * In NCHW, tfjs' axes 1, 2, 3 (H, W, C) sit at 2, 3, 1.
   */
  static axisOf(axis: number, rank: number, layout: Layout): number {
    const a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
    return layout === 'nchw' ? NHWC_TO_NCHW.indexOf(a) : a;
  }

  /**
   * The finished graph: nodes in the order they were added (already topological), minus the ones no
   * output depends on, and the initializers those nodes read.
   */
  finish(name: string, inputs: onnx.IValueInfoProto[], outputs: onnx.IValueInfoProto[]): onnx.IGraphProto {
    const needed = new Set(outputs.map((o) => o.name as string));
    const kept: onnx.INodeProto[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      if (!(n.output ?? []).some((o) => needed.has(o))) continue;
      kept.unshift(n);
      for (const input of n.input ?? []) needed.add(input);
    }
    return {
      name,
      node: kept,
      initializer: this.initializers.filter((t) => needed.has(t.name as string)),
      input: inputs,
      output: outputs,
    };
  }
}

function attribute(name: string, v: AttributeValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (!v.every(Number.isInteger)) throw new Error(`attribute ${name}: integer list expected, got ${v}`);
    return { name, type: T.INTS, ints: v };
  }
  if (typeof v === 'object') return { name, type: T.FLOATS, floats: v.floats };
  // ONNX distinguishes int and float attributes; every float attribute the exporter writes
  // (alpha, epsilon...) is named in FLOAT_ATTRIBUTES so an integral value like alpha=1 stays a float.
  return FLOAT_ATTRIBUTES.has(name) ? { name, type: T.FLOAT, f: v } : { name, type: T.INT, i: v };
}

const FLOAT_ATTRIBUTES = new Set(['alpha', 'beta', 'gamma', 'epsilon', 'momentum', 'theta']);

/** A float32 tensor's ValueInfo: `shape` entries that are null become the named dimension `N`. */
export function floatValueInfo(name: string, shape: (number | null)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d, i) => (d == null ? { dimParam: i === 0 ? 'N' : `d${i}` } : { dimValue: d })) },
      },
    },
  };
}

/**
 * Reorders a dense row-major array: out has shape perm.map(p => shape[p]), and
 * out[i0, i1, ...] = data[index with axis perm[k] set to ik]. HWIO -> OIHW is perm [3, 2, 0, 1].
 */
export function permuteArray(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const strides = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += idx[k] * strides[k];
    out[o] = data[src];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < outShape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}
