/**
 * Kernel overrides for TensorFlow.js' wasm backend. Call registerWasmKernels() after
 * tf.setBackend('wasm') (it is idempotent). Each kernel is checked against the cpu backend in the
 * *.spec.ts files beside it.
 */
import * as tf from '@tensorflow/tfjs';
import { addConfig } from './add';
import { batchMatMulConfig } from './batch_mat_mul';
import { registerBatchNormGradient } from './batch_norm_grad';
import { batchNormTrainConfig, batchNormTrainGradConfig, registerFusedBatchNormLayer } from './batch_norm_train';
import { conv2DConfig, fusedConv2DConfig } from './conv2d';
import { conv2DBackpropFilterConfig } from './conv2d_backprop_filter';
import { conv2DBackpropInputConfig } from './conv2d_backprop_input';
import { identityConfig } from './identity';
import { avgPoolGradConfig, maxPoolGradConfig } from './pool_grad';
import { nativeKernels } from './native';
import { registerReluGradient, reluGradConfig } from './relu_grad';
import { sumConfig } from './sum';
import { original } from './util';

export { nativeKernels, useNativeKernels } from './native';

/** JS overrides built on the wasm backend's own (XNNPACK) kernels. */
export const WASM_KERNEL_CONFIGS: tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  batchMatMulConfig,
  maxPoolGradConfig,
  avgPoolGradConfig,
  identityConfig,
];

/** Kernels that only pay off natively (registered when the addon loads). */
export const NATIVE_ONLY_CONFIGS: tf.KernelConfig[] = [conv2DConfig, fusedConv2DConfig, sumConfig, addConfig, reluGradConfig, batchNormTrainConfig, batchNormTrainGradConfig];

let registered = false;

/** Registers (or replaces) our wasm kernels. Safe to call more than once. */
export function registerWasmKernels(): void {
  if (registered) return;
  // With the native addon built, the forward Conv2D runs there too (faster than XNNPACK's wasm SIMD).
  const configs = nativeKernels() && process.env.TRAINYARD_NATIVE_CONV2D !== '0' ? [...WASM_KERNEL_CONFIGS, ...NATIVE_ONLY_CONFIGS] : WASM_KERNEL_CONFIGS;
  for (const cfg of configs) {
    if (tf.getKernel(cfg.kernelName, 'wasm')) {
      original(cfg.kernelName); // keep the wasm backend's own version reachable for fallbacks
      tf.unregisterKernel(cfg.kernelName, 'wasm');
    }
    tf.registerKernel(cfg);
  }
  // ReLU's gradient as one kernel (only where TrainyardReluGrad is registered: wasm with the addon).
  if (configs.includes(reluGradConfig)) registerReluGradient();
  // Batch norm's gradient with broadcasting instead of Tile (same results on every backend).
  registerBatchNormGradient();
  // BatchNormalization layers train with the fused batch-norm kernels where they are registered.
  if (configs.includes(batchNormTrainConfig)) registerFusedBatchNormLayer();
  registered = true;
}
