import * as tf from '@tensorflow/tfjs';
import { initBackend, modelFromCheckpoint } from '@trainyard/engine';
import type { InferenceRuntime } from './inference-runtime';

let backend: Promise<{ name: string }> | undefined;

/** The tfjs backend serving uses (idempotent): never the pure-JS cpu one unless asked for. */
export function servingBackend(preferred: 'auto' | 'cpu' = 'auto'): Promise<{ name: string }> {
  backend ??= initBackend(preferred);
  return backend;
}

/** A TensorFlow.js runtime over a Trainyard checkpoint's bytes. */
export async function loadTfjsRuntime(checkpoint: Uint8Array, preferred: 'auto' | 'cpu' = 'auto'): Promise<InferenceRuntime & { backend: string }> {
  const { name } = await servingBackend(preferred);
  const model = modelFromCheckpoint(checkpoint);
  return {
    kind: 'tfjs',
    backend: name,
    async run(x, shape) {
      return tf.tidy(() => (model.predict(tf.tensor(x, shape, 'float32')) as tf.Tensor).dataSync() as Float32Array);
    },
    dispose() {
      model.dispose();
    },
  };
}
