/**
 * Kernel overrides for TensorFlow.js' wasm backend. Call registerWasmKernels() after
 * tf.setBackend('wasm') (it is idempotent). Each kernel is checked against the cpu backend in the
 * *.spec.ts files beside it.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2d_backprop_filter';
import { original } from './util';

export const WASM_KERNEL_CONFIGS: tf.KernelConfig[] = [conv2DBackpropFilterConfig];

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
