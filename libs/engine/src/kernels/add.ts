/**
 * Add of a bias over the last axis ([..., C] + [C], either order: what every conv and dense layer with
 * a bias does) on the native addon. The wasm backend's broadcasting Add took ~0.6 ms for LeNet conv1's
 * [64, 28, 28, 6] + [6]. Each element is one float32 addition, as in the original kernel, so results
 * are identical. Any other shapes or dtypes, or no addon: the wasm backend's own Add.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeBiasAdd, nativeKernels } from './native';
import { original, TensorInfo, WasmBackend } from './util';

/** True when `b` is a vector over `a`'s last axis: shape [C] or [1, ..., 1, C] of rank <= a's. */
function isBiasOf(a: TensorInfo, b: TensorInfo): boolean {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 1 || rb > ra) return false;
  const c = a.shape[ra - 1];
  if (b.shape[rb - 1] !== c || c < 1) return false;
  for (let i = 0; i < rb - 1; i++) if (b.shape[i] !== 1) return false;
  return tf.util.sizeFromShape(a.shape) > c;
}

export function add(args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: WasmBackend; attrs: Record<string, never> }): TensorInfo {
  const { inputs, backend } = args;
  const { a, b } = inputs;
  const addon = nativeKernels();
  if (addon?.biasAdd && a.dtype === 'float32' && b.dtype === 'float32') {
    const [x, bias] = isBiasOf(a, b) ? [a, b] : isBiasOf(b, a) ? [b, a] : [undefined, undefined];
    if (x && bias) {
      const cols = x.shape[x.shape.length - 1];
      return nativeBiasAdd(addon, backend, x, bias, tf.util.sizeFromShape(x.shape) / cols, cols);
    }
  }
  return original('Add')(args as never) as TensorInfo;
}

export const addConfig: tf.KernelConfig = {
  kernelName: 'Add',
  backendName: 'wasm',
  kernelFunc: add as unknown as tf.KernelFunc,
};
