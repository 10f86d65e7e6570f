/**
 * Kernel overrides for TensorFlow.js' wasm backend. Call registerWasmKernels() after
 * tf.setBackend('wasm') (it is idempotent). Each kernel is checked against the cpu backend in the
 * *.spec.ts files beside it.
 */
import * as tf from '@tensorflow/tfjs';
import { batchMatMulConfig } from './batch_mat_mul';
import { conv2DBackpropFilterConfig } from './conv2d_backprop_filter';
import { conv2DBackpropInputConfig } from './conv2d_backprop_input';
import { avgPoolGradConfig, maxPoolGradConfig } from './pool_grad';
import { original } from './util';

/** JS overrides built on the wasm backend's own (XNNPACK) kernels. */
export const WASM_KERNEL_CONFIGS: tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  batchMatMulConfig,
  maxPoolGradConfig,
  avgPoolGradConfig,
];

let registered = false;

/** Registers (or replaces) our wasm kernels. Safe to call more than once. */
export function registerWasmKernels(): void {
  if (registered) return;
  for (const cfg of WASM_KERNEL_CONFIGS) {
    if (tf.getKernel(cfg.kernelName, 'wasm')) {
      original(cfg.kernelName); // keep the wasm backend's own version reachable for fallbacks
      tf.unregisterKernel(cfg.kernelName, 'wasm');
    }
    tf.registerKernel(cfg);
  }
  registered = true;
}
