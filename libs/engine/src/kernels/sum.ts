/**
 * Sum over the leading axes (what bias gradients are: dy summed over batch and pixels) on the native
 * addon; the wasm backend's Sum transposes the reduced axes to the end first (a generic, slow
 * transpose). Any other reduction, dtype, or no addon: the wasm backend's own Sum.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernels, nativeSumRows } from './native';
import { original, TensorInfo, WasmBackend } from './util';

export function sum(args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: tf.SumAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const addon = nativeKernels();
  const r = x.shape.length;
  if (addon && x.dtype === 'float32' && r >= 2) {
    const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length === r - 1 && axes.every((a, i) => a === i);
    if (leading) {
      const cols = x.shape[r - 1];
      const rows = tf.util.sizeFromShape(x.shape) / Math.max(1, cols);
      const outShape = attrs.keepDims ? [...x.shape.slice(0, -1).map(() => 1), cols] : [cols];
      if (cols > 0 && rows > 0) return nativeSumRows(addon, backend, x, rows, cols, outShape);
    }
  }
  return original('Sum')(args as never) as TensorInfo;
}

export const sumConfig: tf.KernelConfig = {
  kernelName: 'Sum',
  backendName: 'wasm',
  kernelFunc: sum as unknown as tf.KernelFunc,
};
