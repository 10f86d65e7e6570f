/**
 * Where a LeNet-5 training step's time goes on wasm (not a test): wraps every registered wasm kernel
 * with a timer (outermost calls only, so composite kernels are not counted twice), runs steps, and
 * prints ms per step by kernel, then the time outside kernels (tfjs engine, tape, layers, GC).
 * Lighter than tf.profile, which inflates small kernels.
 *   node -r ./libs/engine/src/thread/register-ts.js libs/engine/bench/step-kernels.ts [batch] [steps]
 */
import * as tf from '@tensorflow/tfjs';
import { Batch } from '@trainyard/common';
import { Trainer, buildModel, buildOptimizer, initBackend } from '../src';
async function main() {
  await initBackend('wasm');
  const times = new Map<string, [number, number]>();
  let depth = 0;
  for (const k of tf.getKernelsForBackend('wasm')) {
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel({ ...k, kernelFunc: (a) => { depth++; const t0 = performance.now(); const r = f(a); depth--; if (depth === 0) { const e = times.get(k.kernelName) ?? [0, 0]; e[0] += performance.now() - t0; e[1]++; times.set(k.kernelName, e); } return r; } });
  }
  const bs = Number(process.argv[2] ?? 64);
  const batch: Batch = { x: Float32Array.from({ length: bs * 1024 }, () => Math.random()), xShape: [bs, 32, 32, 1], y: Int32Array.from({ length: bs }, () => Math.floor(Math.random() * 10)) };
  const t = new Trainer({ model: buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, seed: 1 }), optimizer: buildOptimizer({ name: 'Momentum', learningRate: 0.01, momentum: 0.9 }) });
  for (let i = 0; i < 10; i++) t.trainStep(batch).dispose();
  times.clear();
  const N = Number(process.argv[3] ?? 200); const t0 = performance.now();
  for (let i = 0; i < N; i++) { const c = t.trainStep(batch); c.dataSync(); c.dispose(); }
  const step = (performance.now() - t0) / N;
  let tot = 0;
  const rows = [...times].sort((a, b) => b[1][0] - a[1][0]);
  for (const [k, [ms, n]] of rows) { tot += ms / N; console.log((ms / N).toFixed(3).padStart(7), 'ms x' + (n / N), k); }
  console.log(`step ${step.toFixed(2)} ms, kernels ${tot.toFixed(2)} ms, outside kernels ${(step - tot).toFixed(2)} ms`);
}
main();
