/**
 * worker_threads entry for tests: trains LeNet-5 (seeded model and data) for `workerData.steps` steps on
 * wasm and posts a hash of the final weights' bits. Runs from the sources via thread/register-ts.js.
 */
import { parentPort, workerData } from 'worker_threads';
import type { Batch } from '@trainyard/common';
import { initBackend } from '../backend';
import { buildModel } from '../models';
import { buildOptimizer } from '../optimizers';
import { Trainer } from '../trainer';
import { prng } from './synthetic';

async function main(): Promise<string> {
  await initBackend('wasm');
  const r = prng(7);
  const bs = 64;
  const batch: Batch = {
    x: Float32Array.from({ length: bs * 1024 }, r),
    xShape: [bs, 32, 32, 1],
    y: Int32Array.from({ length: bs }, () => Math.floor(r() * 10)),
  };
  const t = new Trainer({
    model: buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, seed: 3 }),
    optimizer: buildOptimizer({ name: 'Momentum', learningRate: 0.01, momentum: 0.9 }),
  });
  for (let i = 0; i < (workerData?.steps ?? 50); i++) t.trainStep(batch).dispose();
  let h = 0;
  for (const w of t.model.weights) {
    for (const v of new Uint32Array(Float32Array.from(w.read().dataSync() as Float32Array).buffer)) h = (Math.imul(h, 31) + v) >>> 0;
  }
  return h.toString(16);
}

main().then(
  (h) => parentPort!.postMessage(h),
  (e) => {
    throw e;
  },
);
