/**
 * BatchMatMul for the wasm backend: the backend takes its fast XNNPACK path only when the batch is 1
 * and neither operand is transposed; both gradient products of a dense layer are transposed. We
 * transpose the operand first (a cheap copy next to the product) and call the fast path.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernels, nativeMatMul } from './native';
import { callWasm, free, original, TensorInfo, WasmBackend } from './util';

export function batchMatMul(args: {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: WasmBackend;
  attrs: tf.BatchMatMulAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs;
  const batchA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const batchB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const addon = nativeKernels();
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (addon && a.dtype === 'float32' && b.dtype === 'float32' && (batchA === batchB || batchA === 1 || batchB === 1) && Math.abs(ra - rb) <= 1) {
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (k !== kb) throw new Error(`BatchMatMul: inner shapes ${k} and ${kb} of [${a.shape}] and [${b.shape}] do not match`);
    const outer = (batchA >= batchB ? a : b).shape.slice(0, -2);
    return nativeMatMul(addon, backend, a, b, batchA, batchB, m, n, k, !!transposeA, !!transposeB, [...outer, m, n]);
  }
  if ((!transposeA && !transposeB) || batchA !== 1 || batchB !== 1 || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return original('BatchMatMul')(args as never) as TensorInfo;
  }
  const t = (x: TensorInfo) => {
    const r = x.shape.length;
    const m = callWasm('Reshape', backend, { x }, { shape: [x.shape[r - 2], x.shape[r - 1]] });
    const out = callWasm('Transpose', backend, { x: m }, { perm: [1, 0] });
    free(backend, m);
    return out;
  };
  const a2 = transposeA ? t(a) : a;
  const b2 = transposeB ? t(b) : b;
  const out = original('BatchMatMul')({ inputs: { a: a2, b: b2 }, backend, attrs: { transposeA: false, transposeB: false } } as never) as TensorInfo;
  if (transposeA) free(backend, a2);
  if (transposeB) free(backend, b2);
  // The original reports [batch, m, n] with the broadcast outer dims of its inputs; ours were rank 2.
  const outer = a.shape.length >= b.shape.length ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
  const shape = [...outer, out.shape[out.shape.length - 2], out.shape[out.shape.length - 1]];
  out.shape = shape;
  return out;
}

export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as tf.KernelFunc,
};
