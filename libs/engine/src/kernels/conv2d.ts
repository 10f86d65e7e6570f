/**
 * Forward Conv2D on the native addon (registered only when it is built; otherwise the wasm backend's
 * own XNNPACK Conv2D stays). NHWC float32 only; anything else goes to the original kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeConv2D, nativeKernels } from './native';
import { original, TensorInfo, WasmBackend } from './util';

const { backend_util } = tf;

export function conv2D(args: { inputs: { x: TensorInfo; filter: TensorInfo }; backend: WasmBackend; attrs: tf.Conv2DAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs;
  const addon = nativeKernels();
  const fmt = backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (!addon || fmt !== 'channelsLast' || x.dtype !== 'float32' || filter.dtype !== 'float32') {
    return original('Conv2D')(args as never) as TensorInfo;
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    fmt,
  );
  return nativeConv2D(addon, backend, x, filter, info);
}

export const conv2DConfig: tf.KernelConfig = {
  kernelName: 'Conv2D',
  backendName: 'wasm',
  kernelFunc: conv2D as unknown as tf.KernelFunc,
};

/**
 * FusedConv2D without bias or activation is a plain Conv2D. tfjs fuses a linear convolution even while
 * recording gradients (a conv followed by batch norm, as in ResNet), which sent those to XNNPACK's
 * FusedConv2D instead of the native Conv2D. Anything with a bias, an activation or PReLU weights keeps
 * the original kernel.
 */
export function fusedConv2D(args: {
  inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: WasmBackend;
  attrs: tf.Conv2DAttrs & { activation?: string };
}): TensorInfo {
  const { inputs, attrs } = args;
  if (inputs.bias == null && inputs.preluActivationWeights == null && (attrs.activation ?? 'linear') === 'linear') {
    return conv2D({ inputs: { x: inputs.x, filter: inputs.filter }, backend: args.backend, attrs });
  }
  return original('FusedConv2D')(args as never) as TensorInfo;
}

export const fusedConv2DConfig: tf.KernelConfig = {
  kernelName: 'FusedConv2D',
  backendName: 'wasm',
  kernelFunc: fusedConv2D as unknown as tf.KernelFunc,
};
