import { badInput } from '@trainyard/common';
import { MapOpSpec, resizeTarget } from './pipeline-spec';

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

export interface SampleOp {
  readonly name: string;
  outShape(inShape: number[]): number[];
  outDtype(inDtype: SampleDtype): SampleDtype;
  compile(inShape: number[], inDtype: SampleDtype): Kernel;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs one op on one sample (allocates; for tests and one-offs; pipelines use compileMap). */
export function applyOp(op: SampleOp, s: Sample): Sample {
  const shape = op.outShape(s.shape);
  const out = new Float32Array(size(shape));
  op.compile(s.shape, s.dtype)(s.data, 0, out, 0);
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
    const axis = (outN: number, inN: number, stride: number) => {
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
    };
    const ys = axis(oh, h, w * c);
    const xs = axis(ow, w, c);
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

export function opFromSpec(spec: MapOpSpec): SampleOp {
  switch (spec.op) {
    case 'Resize':
      return new Resize({ size: spec.size, interpolation: spec.interpolation });
    case 'Rescale':
      return new Rescale({ rescale: spec.rescale, shift: spec.shift });
    case 'HWC2CHW':
      return new HWC2CHW();
    case 'TypeCast':
      return new TypeCast({ dtype: spec.dtype });
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
}

export function compileMap(map: MapOpSpec[], inShape: number[], inDtype: SampleDtype = 'uint8'): SampleProgram {
  if (inShape.length !== 3) throw badInput(`a sample shape must be [height, width, channels], got ${JSON.stringify(inShape)}`);
  const ops = simplify(map).map(opFromSpec);
  const kernels: Kernel[] = [];
  const sizes: number[] = [];
  let shape = inShape;
  let dtype = inDtype;
  let chw = false;
  for (const op of ops) {
    if (op.name === 'Resize' && chw) throw badInput('Resize works on HWC samples; put it before HWC2CHW');
    if (op.name === 'HWC2CHW') {
      if (chw) throw badInput('HWC2CHW: the sample is already CHW');
      chw = true;
    }
    kernels.push(op.compile(shape, dtype));
    shape = op.outShape(shape);
    dtype = op.outDtype(dtype);
    sizes.push(size(shape));
  }
  const outSize = size(shape);
  const scratch = [new Float32Array(Math.max(0, ...sizes)), new Float32Array(Math.max(0, ...sizes))];
  const last = kernels.length - 1;
  const copy = (src: ArrayLike<number>, so: number, dst: Float32Array, dO: number) => {
    for (let i = 0; i < outSize; i++) dst[dO + i] = src[so + i];
  };
  const run =
    kernels.length === 0
      ? copy
      : kernels.length === 1
        ? kernels[0]
        : (src: ArrayLike<number>, so: number, dst: Float32Array, dO: number) => {
            let cur: ArrayLike<number> = src;
            let off = so;
            for (let i = 0; i < last; i++) {
              const out = scratch[i & 1];
              kernels[i](cur, off, out, 0);
              cur = out;
              off = 0;
            }
            kernels[last](cur, off, dst, dO);
          };
  return { inShape, outShape: shape, outSize, run };
}
