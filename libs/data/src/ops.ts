import { badInput } from '@trainyard/common';
import { ChannelStats, cropTarget, MapOpSpec, OneHotSpec, resizeTarget, resolveDatasetStats, sampleMap } from './pipeline-spec';
import { createRng, Rng } from './rng';

/** Element types a sample can have between ops. Batches are always float32 in the end. */
export type SampleDtype = 'uint8' | 'float32' | 'int32';
type Numeric = Uint8Array | Float32Array | Int32Array;

/** One sample: row-major data and its shape ([h, w, c] or [c, h, w]). */
export interface Sample {
  data: Numeric;
  shape: number[];
  dtype: SampleDtype;
}

/**
 * A compiled per-sample step: reads `inSize` values at (src, srcOff), writes `outSize` values at
 * (dst, dstOff). Coefficients are computed once at compile time; kernels allocate nothing.
 */
export type Kernel = (src: ArrayLike<number>, srcOff: number, dst: Float32Array, dstOff: number) => void;

/** What a compiled random op reads at run time: the program's current random stream. */
export interface OpContext {
  rng: Rng;
}

export interface SampleOp {
  readonly name: string;
  outShape(inShape: number[]): number[];
  outDtype(inDtype: SampleDtype): SampleDtype;
  compile(inShape: number[], inDtype: SampleDtype, ctx: OpContext): Kernel;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs one op on one sample (allocates; for tests and one-offs; pipelines use compileMap). */
export function applyOp(op: SampleOp, s: Sample): Sample {
  const shape = op.outShape(s.shape);
  const out = new Float32Array(size(shape));
  op.compile(s.shape, s.dtype, { rng: createRng(1) })(s.data, 0, out, 0);
  const dtype = op.outDtype(s.dtype);
  return { data: dtype === 'uint8' ? Uint8Array.from(out) : dtype === 'int32' ? Int32Array.from(out) : out, shape, dtype };
}

/**
 * Resize an HWC sample to [height, width]. 'bilinear' follows OpenCV's INTER_LINEAR (MindSpore's
 * default Inter.LINEAR): half-pixel centres, src = (dst + 0.5) * scale - 0.5, clamped at the edges.
 * A uint8 input gives uint8 output (rounded), as in MindSpore; OpenCV's 11-bit fixed-point weights
 * can differ from this float computation by 1 in rare pixels.
 */
export class Resize implements SampleOp {
  readonly name = 'Resize';
  constructor(readonly opts: { size: number | [number, number]; interpolation?: 'bilinear' | 'nearest' }) {}

  outShape([h, w, c]: number[]): number[] {
    return [...resizeTarget(this.opts.size, h, w), c];
  }

  outDtype(d: SampleDtype) {
    return d;
  }

  compile(inShape: number[], inDtype: SampleDtype): Kernel {
    const [h, w, c] = inShape;
    const [oh, ow] = resizeTarget(this.opts.size, h, w);
    const nearest = this.opts.interpolation === 'nearest';
    const round = inDtype !== 'float32';
    const ys = resizeAxis(oh, h, w * c, nearest);
    const xs = resizeAxis(ow, w, c, nearest);
    return (src, so, dst, dO) => {
      let o = dO;
      for (let y = 0; y < oh; y++) {
        const r0 = so + ys.i0[y];
        const r1 = so + ys.i1[y];
        const fy = ys.f[y];
        const gy = 1 - fy;
        for (let x = 0; x < ow; x++) {
          const c0 = xs.i0[x];
          const c1 = xs.i1[x];
          const fx = xs.f[x];
          const gx = 1 - fx;
          for (let k = 0; k < c; k++) {
            const top = src[r0 + c0 + k] * gx + src[r0 + c1 + k] * fx;
            const bot = src[r1 + c0 + k] * gx + src[r1 + c1 + k] * fx;
            const v = top * gy + bot * fy;
            dst[o++] = round ? Math.round(v) : v;
          }
        }
      }
    };
  }
}

/**
 * One axis of a resize: for each output index, the two source offsets (index * stride) it blends and
 * the weight of the second (0 for nearest).
 */
function resizeAxis(outN: number, inN: number, stride: number, nearest: boolean): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(outN);
  const i1 = new Int32Array(outN);
  const f = new Float32Array(outN);
  const scale = inN / outN;
  for (let o = 0; o < outN; o++) {
    if (nearest) {
      const s = Math.min(Math.floor(o * scale), inN - 1);
      i0[o] = i1[o] = s * stride;
      continue;
    }
    let s = (o + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    let s0 = Math.floor(s);
    let fr = s - s0;
    if (s0 >= inN - 1) {
      s0 = inN - 1;
      fr = 0;
    }
    i0[o] = s0 * stride;
    i1[o] = Math.min(s0 + 1, inN - 1) * stride;
    f[o] = fr;
  }
  return { i0, i1, f };
}

/** x * rescale + shift, element-wise; the result is float32. */
export class Rescale implements SampleOp {
  readonly name = 'Rescale';
  constructor(readonly opts: { rescale: number; shift: number }) {}
  outShape(s: number[]) {
    return s;
  }
  outDtype(): SampleDtype {
    return 'float32';
  }
  compile(inShape: number[]): Kernel {
    const n = size(inShape);
    const { rescale: a, shift: b } = this.opts;
    return (src, so, dst, dO) => {
      for (let i = 0; i < n; i++) dst[dO + i] = src[so + i] * a + b;
    };
  }
}

/** [h, w, c] to [c, h, w]. */
export class HWC2CHW implements SampleOp {
  readonly name = 'HWC2CHW';
  outShape([h, w, c]: number[]) {
    return [c, h, w];
  }
  outDtype(d: SampleDtype) {
    return d;
  }
  compile([h, w, c]: number[]): Kernel {
    const plane = h * w;
    return (src, so, dst, dO) => {
      for (let p = 0; p < plane; p++) for (let k = 0; k < c; k++) dst[dO + k * plane + p] = src[so + p * c + k];
    };
  }
}

/** Cast to float32 (a no-op on the values) or int32 (truncates toward zero, like a C cast). */
export class TypeCast implements SampleOp {
  readonly name = 'TypeCast';
  constructor(readonly opts: { dtype: 'float32' | 'int32' }) {}
  outShape(s: number[]) {
    return s;
  }
  outDtype(): SampleDtype {
    return this.opts.dtype;
  }
  compile(inShape: number[]): Kernel {
    const n = size(inShape);
    if (this.opts.dtype === 'float32') {
      return (src, so, dst, dO) => {
        for (let i = 0; i < n; i++) dst[dO + i] = src[so + i];
      };
    }
    return (src, so, dst, dO) => {
      for (let i = 0; i < n; i++) dst[dO + i] = Math.trunc(src[so + i]);
    };
  }
}

/** (x - mean[c]) / std[c] per channel (HWC); the result is float32. */
export class Normalize implements SampleOp {
  readonly name = 'Normalize';
  constructor(readonly opts: { mean: number[]; std: number[] }) {}
  outShape(s: number[]) {
    return s;
  }
  outDtype(): SampleDtype {
    return 'float32';
  }
  compile(inShape: number[]): Kernel {
    const c = inShape[2];
    const { mean, std } = this.opts;
    if (mean.length !== c && mean.length !== 1) throw badInput(`Normalize has ${mean.length} means for ${c} channels`, { field: 'pipeline.map' });
    if (std.length !== c && std.length !== 1) throw badInput(`Normalize has ${std.length} stds for ${c} channels`, { field: 'pipeline.map' });
    const m = Float32Array.from({ length: c }, (_, k) => mean[mean.length === 1 ? 0 : k]);
    const inv = Float32Array.from({ length: c }, (_, k) => 1 / std[std.length === 1 ? 0 : k]);
    const n = size(inShape);
    return (src, so, dst, dO) => {
      for (let i = 0, k = 0; i < n; i++) {
        dst[dO + i] = (src[so + i] - m[k]) * inv[k];
        if (++k === c) k = 0;
      }
    };
  }
}

/** RGB to one luma channel (ITU-R 601: 0.299 R + 0.587 G + 0.114 B); one channel stays as it is. */
export class Grayscale implements SampleOp {
  readonly name = 'Grayscale';
  outShape([h, w, c]: number[]) {
    if (c !== 1 && c !== 3) throw badInput(`Grayscale needs 1 or 3 channels, got ${c}`);
    return [h, w, 1];
  }
  outDtype(d: SampleDtype) {
    return d;
  }
  compile(inShape: number[], inDtype: SampleDtype): Kernel {
    const [h, w, c] = inShape;
    const n = h * w;
    const round = inDtype !== 'float32';
    if (c === 1) {
      return (src, so, dst, dO) => {
        for (let i = 0; i < n; i++) dst[dO + i] = src[so + i];
      };
    }
    return (src, so, dst, dO) => {
      for (let p = 0; p < n; p++) {
        const v = 0.299 * src[so + 3 * p] + 0.587 * src[so + 3 * p + 1] + 0.114 * src[so + 3 * p + 2];
        dst[dO + p] = round ? Math.round(v) : v;
      }
    };
  }
}

/** Copies an [oh, ow] window at (top, left) of the zero-padded image (pad on every side). */
function cropKernel(inShape: number[], oh: number, ow: number, pad: number, pick: () => [number, number]): Kernel {
  const [h, w, c] = inShape;
  return (src, so, dst, dO) => {
    const [top, left] = pick();
    let o = dO;
    for (let y = 0; y < oh; y++) {
      const sy = y + top - pad;
      for (let x = 0; x < ow; x++) {
        const sx = x + left - pad;
        if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
          for (let k = 0; k < c; k++) dst[o++] = 0;
        } else {
          const base = so + (sy * w + sx) * c;
          for (let k = 0; k < c; k++) dst[o++] = src[base + k];
        }
      }
    }
  };
}

/** The central [h, w] window (zero-filled where the image is smaller). */
export class CenterCrop implements SampleOp {
  readonly name = 'CenterCrop';
  constructor(readonly opts: { size: number | [number, number] }) {}
  outShape([, , c]: number[]) {
    return [...cropTarget(this.opts.size), c];
  }
  outDtype(d: SampleDtype) {
    return d;
  }
  compile(inShape: number[]): Kernel {
    const [h, w] = inShape;
    const [oh, ow] = cropTarget(this.opts.size);
    const at: [number, number] = [Math.round((h - oh) / 2), Math.round((w - ow) / 2)];
    return cropKernel(inShape, oh, ow, 0, () => at);
  }
}

/** Pads every side by `padding` zeros, then cuts a random [h, w] window (torchvision/MindSpore RandomCrop). */
export class RandomCrop implements SampleOp {
  readonly name = 'RandomCrop';
  constructor(readonly opts: { size: number | [number, number]; padding?: number }) {}
  outShape([, , c]: number[]) {
    return [...cropTarget(this.opts.size), c];
  }
  outDtype(d: SampleDtype) {
    return d;
  }
  compile(inShape: number[], _d: SampleDtype, ctx: OpContext): Kernel {
    const [h, w] = inShape;
    const pad = this.opts.padding ?? 0;
    const [oh, ow] = cropTarget(this.opts.size);
    const maxTop = h + 2 * pad - oh;
    const maxLeft = w + 2 * pad - ow;
    if (maxTop < 0 || maxLeft < 0) throw badInput(`RandomCrop ${oh}x${ow} is larger than the padded ${h + 2 * pad}x${w + 2 * pad} image`, { field: 'pipeline.map' });
    return cropKernel(inShape, oh, ow, pad, () => [ctx.rng.int(maxTop + 1), ctx.rng.int(maxLeft + 1)]);
  }
}

/** Mirrors left-right with probability p. */
export class RandomHorizontalFlip implements SampleOp {
  readonly name = 'RandomHorizontalFlip';
  constructor(readonly opts: { p?: number }) {}
  outShape(s: number[]) {
    return s;
  }
  outDtype(d: SampleDtype) {
    return d;
  }
  compile(inShape: number[], _d: SampleDtype, ctx: OpContext): Kernel {
    const [h, w, c] = inShape;
    const p = this.opts.p ?? 0.5;
    const n = h * w * c;
    return (src, so, dst, dO) => {
      if (ctx.rng.next() >= p) {
        for (let i = 0; i < n; i++) dst[dO + i] = src[so + i];
        return;
      }
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const s = so + (y * w + (w - 1 - x)) * c;
          const d = dO + (y * w + x) * c;
          for (let k = 0; k < c; k++) dst[d + k] = src[s + k];
        }
      }
    };
  }
}

/** Rotates by a uniform angle in [-degrees, degrees] about the centre (nearest neighbour, zero fill). */
export class RandomRotation implements SampleOp {
  readonly name = 'RandomRotation';
  constructor(readonly opts: { degrees: number }) {}
  outShape(s: number[]) {
    return s;
  }
  outDtype(d: SampleDtype) {
    return d;
  }
  compile(inShape: number[], _d: SampleDtype, ctx: OpContext): Kernel {
    const [h, w, c] = inShape;
    const cy = (h - 1) / 2;
    const cx = (w - 1) / 2;
    const deg = this.opts.degrees;
    return (src, so, dst, dO) => {
      const a = ((ctx.rng.next() * 2 - 1) * deg * Math.PI) / 180;
      const cos = Math.cos(a);
      const sin = Math.sin(a);
      let o = dO;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          // Inverse mapping: the source pixel that lands on (y, x).
          const dx = x - cx;
          const dy = y - cy;
          const sx = Math.round(cos * dx + sin * dy + cx);
          const sy = Math.round(-sin * dx + cos * dy + cy);
          if (sx < 0 || sx >= w || sy < 0 || sy >= h) {
            for (let k = 0; k < c; k++) dst[o++] = 0;
          } else {
            const base = so + (sy * w + sx) * c;
            for (let k = 0; k < c; k++) dst[o++] = src[base + k];
          }
        }
      }
    };
  }
}

export function opFromSpec(spec: MapOpSpec): SampleOp {
  switch (spec.op) {
    case 'Resize':
      return new Resize({ size: spec.size, interpolation: spec.interpolation });
    case 'Rescale':
      return new Rescale({ rescale: spec.rescale, shift: spec.shift });
    case 'Normalize':
      if (spec.mean === 'dataset' || spec.std === 'dataset') throw badInput("Normalize with 'dataset' needs the dataset's statistics", { field: 'pipeline.map' });
      return new Normalize({ mean: spec.mean, std: spec.std });
    case 'HWC2CHW':
      return new HWC2CHW();
    case 'TypeCast':
      return new TypeCast({ dtype: spec.dtype });
    case 'Grayscale':
      return new Grayscale();
    case 'CenterCrop':
      return new CenterCrop({ size: spec.size });
    case 'RandomCrop':
      return new RandomCrop({ size: spec.size, padding: spec.padding });
    case 'RandomHorizontalFlip':
      return new RandomHorizontalFlip({ p: spec.p });
    case 'RandomRotation':
      return new RandomRotation({ degrees: spec.degrees });
    case 'OneHot':
      throw badInput('OneHot works on the label, not the sample; compileMap leaves it to the batch source', { field: 'pipeline.map' });
  }
}

/** Folds consecutive Rescales into one and drops float32 casts that change nothing. */
function simplify(ops: MapOpSpec[]): MapOpSpec[] {
  const out: MapOpSpec[] = [];
  for (const op of ops) {
    const prev = out[out.length - 1];
    if (op.op === 'Rescale' && prev?.op === 'Rescale') {
      out[out.length - 1] = { op: 'Rescale', rescale: prev.rescale * op.rescale, shift: prev.shift * op.rescale + op.shift };
    } else if (op.op === 'TypeCast' && op.dtype === 'float32' && prev && prev.op === 'Rescale') {
      // Rescale already yields float32.
    } else {
      out.push(op);
    }
  }
  return out;
}

/** A compiled map: turns one source sample into one float32 output sample, reusing two scratch buffers. */
export interface SampleProgram {
  inShape: number[];
  outShape: number[];
  outSize: number;
  run(src: ArrayLike<number>, srcOff: number, dst: Float32Array, dstOff: number): void;
  /** Restarts the random stream of the random ops (training: once per pass, from (seed, pass)). */
  reseed(seed: number): void;
}

export interface CompileOptions {
  /** true: random ops run (seeded through reseed). Default false: the deterministic part only. */
  training?: boolean;
  /** Resolves Normalize('dataset'). */
  stats?: ChannelStats;
  /**
   * false: always run op by op. Default: a map made only of crops, flips, per-channel affine ops
   * (Rescale, Normalize, TypeCast float32) and HWC2CHW runs as one fused pass (same values, same
   * random draws).
   */
  fused?: boolean;
}

export function compileMap(map: MapOpSpec[], inShape: number[], inDtype: SampleDtype = 'uint8', opts: CompileOptions = {}): SampleProgram {
  if (inShape.length !== 3) throw badInput(`a sample shape must be [height, width, channels], got ${JSON.stringify(inShape)}`);
  const resolved = resolveDatasetStats(sampleMap(map), opts.stats);
  const chosen = opts.training ? resolved : resolved.map((op) => (op.op === 'RandomCrop' ? ({ op: 'CenterCrop', size: op.size } as MapOpSpec) : op)).filter((op) => op.op !== 'RandomHorizontalFlip' && op.op !== 'RandomRotation');
  const simplified = simplify(chosen);
  if (opts.fused !== false) {
    const fused = compileFused(simplified, inShape, inDtype);
    if (fused) return fused;
  }
  const ops = simplified.map(opFromSpec);
  const ctx: OpContext = { rng: createRng(0) };
  const kernels: Kernel[] = [];
  const sizes: number[] = [];
  let shape = inShape;
  let dtype = inDtype;
  let chw = false;
  for (const op of ops) {
    if (op.name !== 'HWC2CHW' && op.name !== 'Rescale' && op.name !== 'TypeCast' && chw) throw badInput(`${op.name} works on HWC samples; put it before HWC2CHW`);
    if (op.name === 'HWC2CHW') {
      if (chw) throw badInput('HWC2CHW: the sample is already CHW');
      chw = true;
    }
    kernels.push(op.compile(shape, dtype, ctx));
    shape = op.outShape(shape);
    dtype = op.outDtype(dtype);
    sizes.push(size(shape));
  }
  const outSize = size(shape);
  const scratch = [new Float32Array(Math.max(0, ...sizes)), new Float32Array(Math.max(0, ...sizes))];
  const last = kernels.length - 1;
  // Every kernel reads a Float32Array: the sample is widened once into `input`, so the kernels'
  // element loads stay monomorphic (a kernel fed both Uint8Array and Float32Array runs ~10x slower).
  const inSize = size(inShape);
  const input = new Float32Array(inSize);
  const widen = (src: ArrayLike<number>, so: number) => {
    if (src instanceof Float32Array) return src.subarray(so, so + inSize);
    for (let i = 0; i < inSize; i++) input[i] = src[so + i];
    return input;
  };
  const run =
    kernels.length === 0
      ? (src: ArrayLike<number>, so: number, dst: Float32Array, dO: number) => dst.set(widen(src, so).subarray(0, outSize), dO)
      : (src: ArrayLike<number>, so: number, dst: Float32Array, dO: number) => {
          let cur: Float32Array = widen(src, so);
          for (let i = 0; i < last; i++) {
            const out = scratch[i & 1];
            kernels[i](cur, 0, out, 0);
            cur = out;
          }
          kernels[last](cur, 0, dst, dO);
        };
  return { inShape, outShape: shape, outSize, run, reseed: (seed) => void (ctx.rng = createRng(seed)) };
}

/**
 * Writes the one-hot row of each class label (MindSpore's OneHot with smoothing_rate): 1 - smoothing
 * + smoothing / k at the label, smoothing / k elsewhere. Throws on a label outside [0, numClasses).
 */
export function oneHotInto(op: Pick<OneHotSpec, 'numClasses' | 'smoothing'>, labels: ArrayLike<number>, n: number, dst: Float32Array): Float32Array {
  const k = op.numClasses;
  const off = (op.smoothing ?? 0) / k;
  const on = 1 - (op.smoothing ?? 0) + off;
  dst.fill(off, 0, n * k);
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!(y >= 0 && y < k)) throw badInput(`label ${y} is outside OneHot's [0, ${k})`, { field: 'pipeline.map' });
    dst[i * k + y] = on;
  }
  return dst;
}

/** One geometric stage of a fused map: a (random or fixed) window of the zero-padded input, or a mirror. */
type Stage =
  | { kind: 'crop'; h: number; w: number; oh: number; ow: number; pad: number; maxTop: number; maxLeft: number; fixed?: [number, number] }
  | { kind: 'flip'; w: number; p: number };

const FUSABLE = new Set(['Resize', 'CenterCrop', 'RandomCrop', 'RandomHorizontalFlip', 'Rescale', 'Normalize', 'TypeCast', 'HWC2CHW']);

/**
 * The fast path of compileMap: crops and flips are index maps separable in y and x, and Rescale,
 * Normalize and TypeCast(float32) are per-channel affine maps, so the whole map is one pass that
 * reads each output value straight from the source (uint8 or float32, no widening copy), scales it
 * once, and writes it in HWC or CHW order. A pixel that falls in a crop's zero padding takes the
 * value the affine ops after that crop give 0. Per sample, the random ops draw in the same order as
 * op-by-op (each crop: top then left; each flip: one draw), so both paths give the same batches.
 * A Resize before every crop and flip fuses too: the stages then map back to the resized image, and
 * each pixel is read as the resize's bilinear (or nearest) blend of the source, rounded when the
 * source is uint8 and nothing made it float before, as op-by-op Resize does. Affine ops commute with
 * a resize (its weights sum to 1), so they still fold into one (a, b) per channel.
 * Returns undefined when an op is not fusable (Grayscale, RandomRotation, TypeCast int32, a Resize
 * after a crop or flip, or a second Resize).
 */
function compileFused(ops: MapOpSpec[], inShape: number[], inDtype: SampleDtype): SampleProgram | undefined {
  if (!ops.every((op) => FUSABLE.has(op.op) && !(op.op === 'TypeCast' && op.dtype === 'int32'))) return undefined;
  // uint8 pixels through a crop or flip alone stay integers: nothing to fuse worth the trouble when there is no op.
  if (ops.length === 0) return undefined;
  let [h, w] = inShape;
  const c = inShape[2];
  const stages: Stage[] = [];
  /** Affine ops after each stage, as (a, b) per channel; the last entry is the map's whole tail. */
  let a = new Float64Array(c).fill(1);
  let b = new Float64Array(c);
  /** Per stage, the affine maps applied after it (filled in as ops arrive). */
  const after: Array<{ a: Float64Array; b: Float64Array }> = [];
  const applyAffine = (mul: ArrayLike<number>, add: ArrayLike<number>) => {
    for (let k = 0; k < c; k++) {
      a[k] *= mul[k];
      b[k] = b[k] * mul[k] + add[k];
    }
    for (const t of after) {
      for (let k = 0; k < c; k++) {
        t.a[k] *= mul[k];
        t.b[k] = t.b[k] * mul[k] + add[k];
      }
    }
  };
  let chw = false;
  let float = inDtype === 'float32';
  let resize: { h: number; w: number; th: number; tw: number; nearest: boolean; round: boolean } | undefined;
  for (const op of ops) {
    // After HWC2CHW only Rescale and TypeCast are allowed: the op-by-op path names the error.
    if (chw && op.op !== 'Rescale' && op.op !== 'TypeCast') return undefined;
    if (op.op === 'Rescale' || op.op === 'Normalize' || op.op === 'TypeCast') float = true;
    switch (op.op) {
      case 'Resize': {
        if (resize || stages.length > 0) return undefined;
        const [th, tw] = resizeTarget(op.size, h, w);
        resize = { h, w, th, tw, nearest: op.interpolation === 'nearest', round: !float };
        [h, w] = [th, tw];
        break;
      }
      case 'Rescale':
        applyAffine(new Float64Array(c).fill(op.rescale), new Float64Array(c).fill(op.shift));
        break;
      case 'TypeCast':
        break; // float32: values unchanged
      case 'HWC2CHW':
        chw = true;
        break;
      case 'Normalize': {
        if (op.mean === 'dataset' || op.std === 'dataset') return undefined;
        const { mean, std } = op;
        if ((mean.length !== c && mean.length !== 1) || (std.length !== c && std.length !== 1)) return undefined; // the op-by-op path names the error
        const mul = Array.from({ length: c }, (_, k) => 1 / std[std.length === 1 ? 0 : k]);
        // Math.fround: the op-by-op kernel holds mean and 1/std as float32.
        applyAffine(
          mul.map((m) => Math.fround(m)),
          mul.map((m, k) => -Math.fround(mean[mean.length === 1 ? 0 : k]) * Math.fround(m)),
        );
        break;
      }
      case 'CenterCrop': {
        const [oh, ow] = cropTarget(op.size);
        stages.push({ kind: 'crop', h, w, oh, ow, pad: 0, maxTop: 0, maxLeft: 0, fixed: [Math.round((h - oh) / 2), Math.round((w - ow) / 2)] });
        after.push({ a: new Float64Array(c).fill(1), b: new Float64Array(c) });
        [h, w] = [oh, ow];
        break;
      }
      case 'RandomCrop': {
        const [oh, ow] = cropTarget(op.size);
        const pad = op.padding ?? 0;
        const maxTop = h + 2 * pad - oh;
        const maxLeft = w + 2 * pad - ow;
        if (maxTop < 0 || maxLeft < 0) return undefined;
        stages.push({ kind: 'crop', h, w, oh, ow, pad, maxTop, maxLeft });
        after.push({ a: new Float64Array(c).fill(1), b: new Float64Array(c) });
        [h, w] = [oh, ow];
        break;
      }
      case 'RandomHorizontalFlip':
        stages.push({ kind: 'flip', w, p: op.p ?? 0.5 });
        after.push({ a: new Float64Array(c).fill(1), b: new Float64Array(c) });
        break;
      default:
        return undefined;
    }
  }
  const oh = h;
  const ow = w;
  const outShape = chw ? [c, oh, ow] : [oh, ow, c];
  const outSize = oh * ow * c;
  const A = Float32Array.from(a);
  const B = Float32Array.from(b);
  // Value of a padded pixel, per stage and channel: the affine ops after that stage applied to 0.
  const padValue = after.map((t) => Float32Array.from(t.b));
  const [inH, inW] = inShape;
  const rowSrc = new Int32Array(oh);
  const rowPad = new Int32Array(oh);
  const colSrc = new Int32Array(ow);
  const colPad = new Int32Array(ow);
  const draws = new Float64Array(stages.length * 2);
  let rng: Rng = createRng(0);
  const plane = oh * ow;
  const rowStride = inW * c;
  // With a Resize: the stages' coordinates are in the resized image; these tables blend the source
  // (rows as source row indices, for hRow; columns as offsets within a row).
  const ry = resize && resizeAxis(resize.th, resize.h, 1, resize.nearest);
  const rx = resize && resizeAxis(resize.tw, resize.w, c, resize.nearest);
  const round = resize?.round ?? false;

  // Bilinear blends are separable: each source row's horizontal blend at this sample's columns is
  // computed once (hRows, stamped per sample) and shared by the output rows that read it, so an
  // output value costs two reads instead of four. The arithmetic is op-by-op Resize's, term by term.
  const hRows = resize && new Float64Array(resize.h * ow * c);
  const hStamp = resize && new Int32Array(resize.h).fill(-1);
  let sampleNo = 0;
  const [xi0, xi1, xf] = rx ? [rx.i0, rx.i1, rx.f] : [new Int32Array(0), new Int32Array(0), new Float32Array(0)];
  const hRow = (src: ArrayLike<number>, so: number, r: number, col0: number, step: number, n: number): number => {
    const off = r * ow * c;
    const stamp = hStamp!;
    if (stamp[r] === sampleNo) return off;
    stamp[r] = sampleNo;
    const out = hRows!;
    const base = so + r * rowStride;
    let o = off;
    if (c === 1) {
      for (let i = 0, col = col0; i < n; i++, col += step) {
        const fx = xf[col];
        out[o++] = src[base + xi0[col]] * (1 - fx) + src[base + xi1[col]] * fx;
      }
      return off;
    }
    for (let i = 0, col = col0; i < n; i++, col += step) {
      const c0 = base + xi0[col];
      const c1 = base + xi1[col];
      const fx = xf[col];
      const gx = 1 - fx;
      for (let k = 0; k < c; k++) out[o++] = src[c0 + k] * gx + src[c1 + k] * fx;
    }
    return off;
  };

  /** Writes n interior pixels of output row y from resized-image row `row`, columns col0, col0 + step, ... */
  const resizedSpan = (src: ArrayLike<number>, so: number, dst: Float32Array, dO: number, y: number, row: number, x0: number, col0: number, step: number, n: number) => {
    const top = hRow(src, so, ry!.i0[row], col0, step, n);
    const bot = hRow(src, so, ry!.i1[row], col0, step, n);
    const fy = ry!.f[row];
    const gy = 1 - fy;
    const h = hRows!;
    if (chw) {
      for (let k = 0; k < c; k++) {
        const ak = A[k];
        const bk = B[k];
        let o = dO + k * plane + y * ow + x0;
        for (let i = k; i < n * c; i += c) {
          const v = h[top + i] * gy + h[bot + i] * fy;
          dst[o++] = (round ? Math.round(v) : v) * ak + bk;
        }
      }
      return;
    }
    let o = dO + (y * ow + x0) * c;
    if (c === 1) {
      const a0 = A[0];
      const b0 = B[0];
      for (let i = 0; i < n; i++) {
        const v = h[top + i] * gy + h[bot + i] * fy;
        dst[o++] = (round ? Math.round(v) : v) * a0 + b0;
      }
      return;
    }
    for (let i = 0; i < n * c; i++) {
      const v = h[top + i] * gy + h[bot + i] * fy;
      dst[o++] = (round ? Math.round(v) : v) * A[i % c] + B[i % c];
    }
  };

  /** Maps output coordinates back through the stages (last first); -1 pad means "inside". */
  const mapAxis = (n: number, src: Int32Array, padAt: Int32Array, axis: 0 | 1) => {
    for (let o = 0; o < n; o++) {
      let v = o;
      let padded = -1;
      for (let s = stages.length - 1; s >= 0; s--) {
        const st = stages[s];
        if (st.kind === 'flip') {
          if (axis === 1 && draws[2 * s] < st.p) v = st.w - 1 - v;
          continue;
        }
        v = v + (axis === 0 ? draws[2 * s] : draws[2 * s + 1]) - st.pad;
        if (padded < 0 && (v < 0 || v >= (axis === 0 ? st.h : st.w))) padded = s;
      }
      src[o] = v;
      padAt[o] = padded;
    }
  };

  /** Writes output pixel (y, x) of a padded position: the padding value of the stage it fell in. */
  const padPixel = chw
    ? (dst: Float32Array, dO: number, y: number, x: number, p: number) => {
        const pv = padValue[p];
        const o = dO + y * ow + x;
        for (let k = 0; k < c; k++) dst[o + k * plane] = pv[k];
      }
    : (dst: Float32Array, dO: number, y: number, x: number, p: number) => {
        const pv = padValue[p];
        const o = dO + (y * ow + x) * c;
        for (let k = 0; k < c; k++) dst[o + k] = pv[k];
      };

  const run = (src: ArrayLike<number>, so: number, dst: Float32Array, dO: number) => {
    // Draw in op order, as the op-by-op kernels do.
    for (let s = 0; s < stages.length; s++) {
      const st = stages[s];
      if (st.kind === 'flip') draws[2 * s] = rng.next();
      else if (st.fixed) {
        draws[2 * s] = st.fixed[0];
        draws[2 * s + 1] = st.fixed[1];
      } else {
        draws[2 * s] = rng.int(st.maxTop + 1);
        draws[2 * s + 1] = rng.int(st.maxLeft + 1);
      }
    }
    mapAxis(oh, rowSrc, rowPad, 0);
    mapAxis(ow, colSrc, colPad, 1);
    sampleNo++;
    // Crops and flips are affine in x with slope ±1, so the columns inside the source form one run
    // [x0, x1) whose source column steps by +1 or -1: the inner loop below walks it with no per-pixel
    // lookups or branches. Padded columns (a crop's border) and padded rows go through padPixel.
    let x0 = 0;
    while (x0 < ow && colPad[x0] >= 0) x0++;
    let x1 = ow;
    while (x1 > x0 && colPad[x1 - 1] >= 0) x1--;
    const step = x1 - x0 > 1 ? colSrc[x0 + 1] - colSrc[x0] : 1;
    const ds = step * c;
    for (let y = 0; y < oh; y++) {
      const rp = rowPad[y];
      if (rp >= 0) {
        for (let x = 0; x < ow; x++) padPixel(dst, dO, y, x, rp > colPad[x] ? rp : colPad[x]);
        continue;
      }
      for (let x = 0; x < x0; x++) padPixel(dst, dO, y, x, colPad[x]);
      for (let x = x1; x < ow; x++) padPixel(dst, dO, y, x, colPad[x]);
      if (x1 === x0) continue;
      const n = x1 - x0;
      if (resize) {
        resizedSpan(src, so, dst, dO, y, rowSrc[y], x0, colSrc[x0], step, n);
        continue;
      }
      let s = so + rowSrc[y] * rowStride + colSrc[x0] * c;
      if (chw) {
        for (let k = 0; k < c; k++) {
          const ak = A[k];
          const bk = B[k];
          let o = dO + k * plane + y * ow + x0;
          let sk = s + k;
          for (let i = 0; i < n; i++, sk += ds) dst[o++] = src[sk] * ak + bk;
        }
      } else if (c === 3) {
        const a0 = A[0], a1 = A[1], a2 = A[2], b0 = B[0], b1 = B[1], b2 = B[2];
        let o = dO + (y * ow + x0) * 3;
        for (let i = 0; i < n; i++, s += ds, o += 3) {
          dst[o] = src[s] * a0 + b0;
          dst[o + 1] = src[s + 1] * a1 + b1;
          dst[o + 2] = src[s + 2] * a2 + b2;
        }
      } else if (c === 1) {
        const a0 = A[0], b0 = B[0];
        let o = dO + y * ow + x0;
        for (let i = 0; i < n; i++, s += ds) dst[o++] = src[s] * a0 + b0;
      } else {
        let o = dO + (y * ow + x0) * c;
        for (let i = 0; i < n; i++, s += ds) for (let k = 0; k < c; k++) dst[o++] = src[s + k] * A[k] + B[k];
      }
    }
  };
  void inH;
  return { inShape, outShape, outSize, run, reseed: (seed) => void (rng = createRng(seed)) };
}
