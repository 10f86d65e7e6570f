/**
 * ReLU's gradient as one kernel on the native addon. tfjs computes it as mul(dy, cast(step(x))): three
 * kernels and two full-size intermediates per ReLU layer (~0.35 ms of a LeNet-5 step on wasm, most of
 * it conv1's [64, 28, 28, 6]). `registerReluGradient()` replaces tfjs' gradient for Relu with one that
 * runs TrainyardReluGrad when the backend is wasm and the addon has it, and tfjs' own formula
 * otherwise (other backends, other dtypes). The kernel does the same float multiply per element, so
 * results are identical (tested). TrainyardReluGrad has a gradient of its own, so higher-order
 * gradients through ReLU still work.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernels, nativeReluGrad } from './native';
import { TensorInfo, WasmBackend } from './util';

export const RELU_GRAD = 'TrainyardReluGrad';

function reluGradKernel(args: { inputs: { dy: TensorInfo; x: TensorInfo }; backend: WasmBackend }): TensorInfo {
  const { dy, x } = args.inputs;
  return nativeReluGrad(nativeKernels()!, args.backend, dy, x);
}

export const reluGradConfig: tf.KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: reluGradKernel as unknown as tf.KernelFunc,
};

function fused(dy: tf.Tensor, x: tf.Tensor): boolean {
  return (
    tf.getBackend() === 'wasm' &&
    nativeKernels()?.reluGrad !== undefined &&
    tf.getKernel(RELU_GRAD, 'wasm') !== undefined &&
    dy.dtype === 'float32' &&
    x.dtype === 'float32' &&
    tf.util.arraysEqual(dy.shape, x.shape)
  );
}

/** dy * step(x), as tfjs' Relu gradient computes it (fused on wasm with the addon). */
export function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  if (fused(dy, x)) return tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor;
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

let gradientsRegistered = false;

/** Points the Relu gradient at reluGrad() (idempotent; global, but identical off wasm). */
export function registerReluGradient(): void {
  if (gradientsRegistered) return;
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return { x: () => reluGrad(dy as tf.Tensor, x) };
    },
  });
  tf.registerGradient({
    kernelName: RELU_GRAD,
    inputsToSave: ['x'],
    gradFunc: (ddx, saved) => {
      const [x] = saved;
      return { dy: () => reluGrad(ddx as tf.Tensor, x), x: () => tf.zerosLike(x) };
    },
  });
  gradientsRegistered = true;
}
