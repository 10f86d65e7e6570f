/**
 * Picks and starts a TensorFlow.js backend. The order for 'auto' is: native TensorFlow with CUDA
 * (@tensorflow/tfjs-node-gpu), native TensorFlow on the CPU (@tensorflow/tfjs-node), then WebAssembly
 * (@tensorflow/tfjs-backend-wasm) with our kernel overrides. The pure-JS 'cpu' backend trains at ~13
 * samples/s, so it is only used when asked for by name (tests, small inference).
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { badInput } from '@trainyard/common';
import { registerWasmKernels } from './kernels';

export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

let wasmReady: Promise<void> | undefined;
let nativeLoaded: string | undefined;

/**
 * Starts the preferred backend (idempotent: a second call with the same preference is a no-op) and
 * returns tfjs' name for it: 'tensorflow', 'wasm' or 'cpu'. Logs nothing.
 */
export async function initBackend(preferred: BackendPreference = 'auto'): Promise<{ name: string }> {
  if (!BACKEND_PREFERENCES.includes(preferred)) {
    throw badInput(`unknown backend "${preferred}"; expected one of ${BACKEND_PREFERENCES.join(', ')}`);
  }
  if (preferred === 'cpu') {
    const name = await use('cpu');
    // The cpu backend prints a "use tfjs-node" banner on first use; we chose cpu on purpose.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    return { name };
  }
  if (preferred === 'wasm') return { name: await useWasm() };
  const native = loadNative();
  if (native) return { name: await use('tensorflow') };
  if (preferred === 'tensorflow') {
    throw badInput('backend "tensorflow" needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, and neither loads here');
  }
  return { name: await useWasm() };
}

/** Loads a native binding once; returns the package that registered the 'tensorflow' backend. */
function loadNative(): string | undefined {
  if (nativeLoaded) return nativeLoaded;
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require(pkg);
      if (tf.findBackendFactory('tensorflow')) return (nativeLoaded = pkg);
    } catch {
      // Not installed, or its native library failed to load: try the next one.
    }
  }
  return undefined;
}

async function use(name: string): Promise<string> {
  if (tf.getBackend() !== name || !tf.findBackend(name)) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`TensorFlow.js backend "${name}" failed to initialize`);
  }
  await tf.ready();
  return tf.getBackend();
}

async function useWasm(): Promise<string> {
  wasmReady ??= (async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The .wasm binaries sit beside the package's main file; an absolute prefix works from any cwd.
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dist + path.sep);
  })();
  await wasmReady;
  const name = await use('wasm');
  registerKernelOverrides();
  return name;
}

/** Our wasm kernel overrides (Conv2DBackpropFilter, faster gradient kernels); idempotent. */
function registerKernelOverrides(): void {
  registerWasmKernels();
}
