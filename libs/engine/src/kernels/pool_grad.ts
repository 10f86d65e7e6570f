/**
 * MaxPoolGrad and AvgPoolGrad for the wasm backend, written over the wasm heap in JS.
 *
 * MaxPoolGrad routes each dy to the first position holding its window's maximum (as the cpu backend and
 * TensorFlow do). tfjs-backend-wasm 4.22's own MaxPoolGrad starts the running max at the smallest
 * positive float, so a window whose values are all <= 0 sends its gradient to the window's first
 * element instead of its maximum; this version starts at -Infinity and only considers in-bounds pixels.
 *
 * AvgPoolGrad spreads dy / (filter area) over the window, as the cpu backend does.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernels, nativeMaxPoolGrad } from './native';
import { TensorInfo, WasmBackend } from './util';

const { backend_util } = tf;

function poolInfo(xShape: number[], attrs: tf.MaxPoolGradAttrs | tf.AvgPoolGradAttrs) {
  const { filterSize, strides, pad } = attrs;
  const dimRoundingMode = (attrs as tf.MaxPoolGradAttrs).dimRoundingMode;
  return backend_util.computePool2DInfo(xShape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
}

export function maxPoolGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  backend: WasmBackend;
  attrs: tf.MaxPoolGradAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const info = poolInfo(input.shape, attrs);
  const addon = nativeKernels();
  if (addon && input.dtype === 'float32' && dy.dtype === 'float32') return nativeMaxPoolGrad(addon, backend, input, dy, info);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const out = backend.makeOutput(input.shape, 'float32');
  // Views after makeOutput (it may grow the heap and detach older views).
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const rowX = w * c;
  const imgX = h * rowX;
  const best = new Float64Array(c);
  const where = new Int32Array(c);
  let gi = 0;
  for (let b = 0; b < n; b++) {
    const base = b * imgX;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      const ya = Math.max(0, y0);
      const yb = Math.min(h, y0 + fh);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - left;
        const xa = Math.max(0, x0);
        const xb = Math.min(w, x0 + fw);
        best.fill(-Infinity);
        where.fill(-1);
        for (let yy = ya; yy < yb; yy++) {
          for (let xx = xa; xx < xb; xx++) {
            const p = base + yy * rowX + xx * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[p + ch];
              // First maximum wins (strict >); NaN and -Infinity never win: as the cpu backend.
              if (v > best[ch]) {
                best[ch] = v;
                where[ch] = p + ch;
              }
            }
          }
        }
        for (let ch = 0; ch < c; ch++, gi++) if (where[ch] >= 0) dx[where[ch]] += g[gi];
      }
    }
  }
  return out;
}

export function avgPoolGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo };
  backend: WasmBackend;
  attrs: tf.AvgPoolGradAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const info = poolInfo(input.shape, attrs);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const scale = 1 / (fh * fw);
  const out = backend.makeOutput(input.shape, 'float32');
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const rowX = w * c;
  const imgX = h * rowX;
  let gi = 0;
  for (let b = 0; b < n; b++) {
    const base = b * imgX;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      const ya = Math.max(0, y0);
      const yb = Math.min(h, y0 + fh);
      for (let ox = 0; ox < ow; ox++, gi += c) {
        const x0 = ox * sw - left;
        const xa = Math.max(0, x0);
        const xb = Math.min(w, x0 + fw);
        for (let yy = ya; yy < yb; yy++) {
          for (let xx = xa; xx < xb; xx++) {
            const p = base + yy * rowX + xx * c;
            for (let ch = 0; ch < c; ch++) dx[p + ch] += g[gi + ch] * scale;
          }
        }
      }
    }
  }
  return out;
}

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};

export const avgPoolGradConfig: tf.KernelConfig = {
  kernelName: 'AvgPoolGrad',
  backendName: 'wasm',
  kernelFunc: avgPoolGrad as unknown as tf.KernelFunc,
};
