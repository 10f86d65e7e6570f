/**
 * What a run ran on, for its reproducibility receipt: backend, library versions and the kernel set
 * our code put in place (the wasm overrides, and which of them run in the native addon).
 */
import * as tf from '@tensorflow/tfjs';
import type { RuntimeEnvironment } from '@trainyard/common';
import { NATIVE_ONLY_CONFIGS, nativeKernels, WASM_KERNEL_CONFIGS } from './kernels';

/** The environment of this process for a run on `backend` (what initBackend set up there). */
export function runtimeEnvironment(backend: string): RuntimeEnvironment {
  const addon = backend === 'wasm' ? nativeKernels() : undefined;
  const configs =
    backend !== 'wasm' ? [] : addon && process.env.TRAINYARD_NATIVE_CONV2D !== '0' ? [...WASM_KERNEL_CONFIGS, ...NATIVE_ONLY_CONFIGS] : WASM_KERNEL_CONFIGS;
  return {
    backend,
    tfjsVersion: tf.version_core,
    wasmBackendVersion: backend === 'wasm' ? packageVersion('@tensorflow/tfjs-backend-wasm') : null,
    nodeVersion: process.versions.node,
    nativeIsa: addon?.isa ?? null,
    kernels: configs.map((c) => c.kernelName).sort(),
  };
}

function packageVersion(name: string): string | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}
