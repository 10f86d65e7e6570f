/** Test helpers: run the same computation on the cpu backend and on wasm (with our kernels). */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { nativeKernels, registerWasmKernels, useNativeKernels } from './index';

let ready: Promise<void> | undefined;

export function initBackends(): Promise<void> {
  ready ??= (async () => {
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    setWasmPaths(dist + path.sep);
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to start');
    registerWasmKernels();
    await tf.setBackend('cpu');
  })();
  return ready;
}

/** Runs `fn` on `backend` and returns its results as plain arrays (all tensors disposed). */
export async function onBackend(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const buffersBefore = tf.engine().backend.numDataIds();
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const data = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${backend}: ${after - before} tensors leaked`);
  // Backend-level buffers: catches intermediates a kernel forgot to free.
  const buffersAfter = tf.engine().backend.numDataIds();
  if (buffersAfter !== buffersBefore) throw new Error(`${backend}: ${buffersAfter - buffersBefore} data buffers leaked`);
  return data;
}

/** Deterministic pseudo-random values in [-1, 1) (same on both backends). */
export function rand(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    v[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return tf.tensor(v, shape);
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Max |a-b| relative to max(1, max|b|). */
export function relDiff(a: Float32Array, b: Float32Array): number {
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  return maxAbsDiff(a, b) / scale;
}

/** x (seed 1), filter f (seed 2) and a dy (seed 3) shaped like conv2d(x, f, s, pad): gradient kernel inputs. */
export function convOperands(xs: number[], fs: number[], s: number, pad: 'valid' | 'same' | number) {
  const x = rand(xs, 1) as tf.Tensor4D;
  const f = rand(fs, 2) as tf.Tensor4D;
  const y = tf.conv2d(x, f, s, pad);
  const dy = rand(y.shape, 3) as tf.Tensor4D;
  return { x, f, dy };
}

/** tf.grads of sum(conv2d(x, f, s, pad)^2) for x (seed 4) and f (seed 5): both gradient kernels through autodiff. */
export function convGrads(xs: number[], fs: number[], s: number, pad: 'valid' | 'same' | number): tf.Tensor[] {
  const x = rand(xs, 4) as tf.Tensor4D;
  const f = rand(fs, 5) as tf.Tensor4D;
  const loss = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, s, pad).square().sum();
  return tf.grads(loss as (...t: tf.Tensor[]) => tf.Tensor)([x, f]);
}

export async function compare(fn: () => tf.Tensor | tf.Tensor[]): Promise<number> {
  const cpu = await onBackend('cpu', fn);
  const wasm = await onBackend('wasm', fn);
  let worst = 0;
  cpu.forEach((c, i) => (worst = Math.max(worst, relDiff(wasm[i], c))));
  return worst;
}

/**
 * Kernel paths to test: 'js' (overrides over the wasm backend's own kernels) always, 'native' when the
 * addon is built (node libs/engine/native/build.js). Set TRAINYARD_REQUIRE_NATIVE=1 to fail without it.
 */
export const MODES: ('js' | 'native')[] = (() => {
  const have = nativeKernels() !== undefined;
  if (!have && process.env.TRAINYARD_REQUIRE_NATIVE === '1') throw new Error('native kernels are not built');
  return have ? ['js', 'native'] : ['js'];
})();

export function setMode(mode: 'js' | 'native'): void {
  useNativeKernels(mode === 'native');
}
