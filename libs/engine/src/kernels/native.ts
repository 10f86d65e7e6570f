/**
 * Native (C++, SIMD) training kernels for the wasm backend, from libs/engine/native (built by
 * `node libs/engine/native/build.js` during npm install). They read and write the wasm backend's memory
 * in place: JS allocates the output with backend.makeOutput, then passes the heap and byte offsets.
 *
 * Optional: when the addon is not built (no compiler at install time) or TRAINYARD_NATIVE_KERNELS=0,
 * nativeKernels() returns undefined and the JS overrides (XNNPACK-based) are used.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { TensorInfo, WasmBackend } from './util';

export interface NativeAddon {
  isa: string;
  conv2d(heap: Uint8Array, params: Int32Array): void;
  conv2dBackpropInput(heap: Uint8Array, params: Int32Array): void;
  conv2dBackpropFilter(heap: Uint8Array, params: Int32Array): void;
  matMul(heap: Uint8Array, params: Int32Array): void;
  maxPoolGrad(heap: Uint8Array, params: Int32Array): void;
  sumRows(heap: Uint8Array, params: Int32Array): void;
  /**
   * tfjs' Momentum update in place for several variables: params = [count, (varOff, accOff, gradOff,
   * size) * count]. Absent from builds older than the fused optimizer.
   */
  /** out[r, c] = x[r, c] + b[c]: params [xOff, bOff, outOff, rows, cols]. Absent from older builds. */
  biasAdd?(heap: Uint8Array, params: Int32Array): void;
  /** out = dy * step(x): params [dyOff, xOff, outOff, size]. Absent from older builds. */
  reluGrad?(heap: Uint8Array, params: Int32Array): void;
  momentumUpdate?(heap: Uint8Array, params: Int32Array, m: number, c: number, nesterov: boolean): void;
  /** Batch norm in training: params [x, gamma, beta, y, mean, var, rows, cols] (offsets). Absent from older builds. */
  batchNormTrain?(heap: Uint8Array, params: Int32Array, epsilon: number): void;
  /** Its gradient: params [dy, x, gamma, mean, var, dx, dgamma, dbeta, rows, cols]. Absent from older builds. */
  batchNormTrainGrad?(heap: Uint8Array, params: Int32Array, epsilon: number): void;
}

const FILE = 'trainyard_kernels.node';
let loaded: NativeAddon | null | undefined;

/** Where the addon is looked for: TRAINYARD_NATIVE_KERNELS_PATH, then libs/engine/native/build above us. */
function candidates(): string[] {
  const out: string[] = [];
  if (process.env.TRAINYARD_NATIVE_KERNELS_PATH) out.push(process.env.TRAINYARD_NATIVE_KERNELS_PATH);
  // Source tree (jest: libs/engine/src/kernels) or build tree (dist/libs/engine/src/kernels): walk up.
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    out.push(path.join(dir, 'libs', 'engine', 'native', 'build', FILE));
    out.push(path.join(dir, 'native', 'build', FILE));
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

/** The addon, or undefined when it is not built, fails to load, or TRAINYARD_NATIVE_KERNELS=0. */
export function nativeKernels(): NativeAddon | undefined {
  if (disabled) return undefined;
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (process.env.TRAINYARD_NATIVE_KERNELS === '0') return undefined;
  for (const file of candidates()) {
    if (!fs.existsSync(file)) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      loaded = require(file) as NativeAddon;
      break;
    } catch {
      // A stale or foreign build: ignore it, fall back to JS.
    }
  }
  return loaded ?? undefined;
}

let disabled = false;

/**
 * Turns the native kernels off (false) or back on (true) at run time: the kernels then take their JS
 * (XNNPACK-based) paths. For tests and benchmarks that compare both; returns whether native is in use.
 */
export function useNativeKernels(enabled: boolean): boolean {
  disabled = !enabled;
  return nativeKernels() !== undefined;
}

const params = new Int32Array(32);

function offset(backend: WasmBackend, t: TensorInfo): number {
  const d = backend.dataIdMap.get(t.dataId);
  if (!d || d.memoryOffset == null) throw new Error('tensor is not in the wasm heap');
  return d.memoryOffset | 0;
}

type ConvGeom = {
  n: number; h: number; w: number; ci: number; fh: number; fw: number; co: number;
  oh: number; ow: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number;
};

function convGeom(info: tf.backend_util.Conv2DInfo): ConvGeom {
  return {
    n: info.batchSize, h: info.inHeight, w: info.inWidth, ci: info.inChannels,
    fh: info.filterHeight, fw: info.filterWidth, co: info.outChannels,
    oh: info.outHeight, ow: info.outWidth, sh: info.strideHeight, sw: info.strideWidth,
    dh: info.dilationHeight, dw: info.dilationWidth, pt: info.padInfo.top, pl: info.padInfo.left,
  };
}

function setConv(a: number, b: number, out: number, g: ConvGeom): Int32Array {
  const p = params;
  p[0] = a; p[1] = b; p[2] = out;
  p[3] = g.n; p[4] = g.h; p[5] = g.w; p[6] = g.ci; p[7] = g.fh; p[8] = g.fw; p[9] = g.co;
  p[10] = g.oh; p[11] = g.ow; p[12] = g.sh; p[13] = g.sw; p[14] = g.dh; p[15] = g.dw; p[16] = g.pt; p[17] = g.pl;
  return p.subarray(0, 18);
}

/** y = conv2d(x, filter), NHWC, float32. */
export function nativeConv2D(addon: NativeAddon, backend: WasmBackend, x: TensorInfo, filter: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const out = backend.makeOutput(info.outShape, 'float32');
  const p = setConv(offset(backend, x), offset(backend, filter), offset(backend, out), convGeom(info));
  addon.conv2d(backend.wasm.HEAPU8, p);
  return out;
}

export function nativeConv2DBackpropInput(addon: NativeAddon, backend: WasmBackend, dy: TensorInfo, filter: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const out = backend.makeOutput(info.inShape, 'float32');
  const p = setConv(offset(backend, dy), offset(backend, filter), offset(backend, out), convGeom(info));
  addon.conv2dBackpropInput(backend.wasm.HEAPU8, p);
  return out;
}

export function nativeConv2DBackpropFilter(addon: NativeAddon, backend: WasmBackend, x: TensorInfo, dy: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const out = backend.makeOutput(info.filterShape, 'float32');
  const p = setConv(offset(backend, x), offset(backend, dy), offset(backend, out), convGeom(info));
  addon.conv2dBackpropFilter(backend.wasm.HEAPU8, p);
  return out;
}

/** out[batch, m, n] = op(a) op(b) with rank-3 a/b (batch 1 broadcasts). */
export function nativeMatMul(
  addon: NativeAddon,
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  batchA: number,
  batchB: number,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  outShape: number[],
): TensorInfo {
  const out = backend.makeOutput(outShape, 'float32');
  const p = params;
  p[0] = offset(backend, a); p[1] = offset(backend, b); p[2] = offset(backend, out);
  p[3] = batchA; p[4] = batchB; p[5] = m; p[6] = n; p[7] = k; p[8] = transA ? 1 : 0; p[9] = transB ? 1 : 0;
  addon.matMul(backend.wasm.HEAPU8, p.subarray(0, 10));
  return out;
}

/** MaxPoolGrad (first-argmax routing) over NHWC float32. */
export function nativeMaxPoolGrad(addon: NativeAddon, backend: WasmBackend, x: TensorInfo, dy: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const out = backend.makeOutput(x.shape, 'float32');
  const g = convGeom(info);
  g.co = g.ci;
  g.dh = 1;
  g.dw = 1;
  const p = setConv(offset(backend, x), offset(backend, dy), offset(backend, out), g);
  addon.maxPoolGrad(backend.wasm.HEAPU8, p);
  return out;
}

/** out[cols] = column sums of x viewed as [rows, cols]. */
export function nativeSumRows(addon: NativeAddon, backend: WasmBackend, x: TensorInfo, rows: number, cols: number, outShape: number[]): TensorInfo {
  const out = backend.makeOutput(outShape, 'float32');
  const p = params;
  p[0] = offset(backend, x); p[1] = 0; p[2] = offset(backend, out); p[3] = rows; p[4] = cols;
  addon.sumRows(backend.wasm.HEAPU8, p.subarray(0, 5));
  return out;
}

/** out = x + bias broadcast over the last axis (x viewed as [rows, cols]). */
export function nativeBiasAdd(addon: NativeAddon, backend: WasmBackend, x: TensorInfo, bias: TensorInfo, rows: number, cols: number): TensorInfo {
  const out = backend.makeOutput(x.shape, 'float32');
  const p = params;
  p[0] = offset(backend, x); p[1] = offset(backend, bias); p[2] = offset(backend, out); p[3] = rows; p[4] = cols;
  addon.biasAdd!(backend.wasm.HEAPU8, p.subarray(0, 5));
  return out;
}

/** ReLU's gradient: dy * step(x) (same shapes, float32). */
export function nativeReluGrad(addon: NativeAddon, backend: WasmBackend, dy: TensorInfo, x: TensorInfo): TensorInfo {
  const out = backend.makeOutput(x.shape, 'float32');
  const p = params;
  p[0] = offset(backend, dy); p[1] = offset(backend, x); p[2] = offset(backend, out); p[3] = tf.util.sizeFromShape(x.shape);
  addon.reluGrad!(backend.wasm.HEAPU8, p.subarray(0, 4));
  return out;
}

/** Batch norm over x viewed as [rows, cols] with batch statistics: [y, mean, variance]. */
export function nativeBatchNormTrain(
  addon: NativeAddon,
  backend: WasmBackend,
  x: TensorInfo,
  gamma: TensorInfo,
  beta: TensorInfo,
  epsilon: number,
): TensorInfo[] {
  const cols = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / cols;
  const y = backend.makeOutput(x.shape, 'float32');
  const mean = backend.makeOutput([cols], 'float32');
  const variance = backend.makeOutput([cols], 'float32');
  const p = params;
  p[0] = offset(backend, x); p[1] = offset(backend, gamma); p[2] = offset(backend, beta);
  p[3] = offset(backend, y); p[4] = offset(backend, mean); p[5] = offset(backend, variance); p[6] = rows; p[7] = cols;
  addon.batchNormTrain!(backend.wasm.HEAPU8, p.subarray(0, 8), epsilon);
  return [y, mean, variance];
}

/** The gradient of nativeBatchNormTrain: [dx, dgamma, dbeta]. */
export function nativeBatchNormTrainGrad(
  addon: NativeAddon,
  backend: WasmBackend,
  t: { dy: TensorInfo; x: TensorInfo; gamma: TensorInfo; mean: TensorInfo; variance: TensorInfo },
  epsilon: number,
): TensorInfo[] {
  const cols = t.x.shape[t.x.shape.length - 1];
  const rows = tf.util.sizeFromShape(t.x.shape) / cols;
  const dx = backend.makeOutput(t.x.shape, 'float32');
  const dgamma = backend.makeOutput([cols], 'float32');
  const dbeta = backend.makeOutput([cols], 'float32');
  const p = params;
  p[0] = offset(backend, t.dy); p[1] = offset(backend, t.x); p[2] = offset(backend, t.gamma); p[3] = offset(backend, t.mean);
  p[4] = offset(backend, t.variance); p[5] = offset(backend, dx); p[6] = offset(backend, dgamma); p[7] = offset(backend, dbeta);
  p[8] = rows; p[9] = cols;
  addon.batchNormTrainGrad!(backend.wasm.HEAPU8, p.subarray(0, 10), epsilon);
  return [dx, dgamma, dbeta];
}
