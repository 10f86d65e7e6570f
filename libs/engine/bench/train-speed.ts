/**
 * Sanity benchmark (not a test): training throughput of LeNet-5 on random 32x32x1 data.
 *   node -r ./libs/engine/src/thread/register-ts.js libs/engine/bench/train-speed.ts [backend] [batch] [steps]
 */
import { Batch, BatchSource } from '@trainyard/common';
import { Trainer, buildModel, buildOptimizer, initBackend } from '../src';

async function main() {
  const [backend = 'wasm', batchArg = '64', stepsArg = '60'] = process.argv.slice(2);
  const batchSize = Number(batchArg);
  const steps = Number(stepsArg);
  const { name } = await initBackend(backend as 'wasm');
  const batch: Batch = {
    x: Float32Array.from({ length: batchSize * 32 * 32 }, () => Math.random()),
    xShape: [batchSize, 32, 32, 1],
    y: Int32Array.from({ length: batchSize }, () => Math.floor(Math.random() * 10)),
  };
  const source: BatchSource = { batchesPerEpoch: steps, epoch: () => Array.from({ length: steps }, () => batch) };
  const modelSpec = { name: 'lenet5' as const, inputShape: [32, 32, 1] as [number, number, number], numClasses: 10 };
  const optimizerSpec = { name: 'Momentum' as const, learningRate: 0.01, momentum: 0.9 };
  const trainer = new Trainer({ model: buildModel(modelSpec), optimizer: buildOptimizer(optimizerSpec) });
  let last = { loss: NaN, sps: 0 };
  await trainer.fit(source, {
    epochs: 1,
    callbacks: [{ onStepEnd: (l) => void (l.step === steps && (last = { loss: l.loss, sps: l.samplesPerSecond })) }],
  });
  console.log(`backend=${name} lenet5 batch=${batchSize} steps=${steps}: ${last.sps.toFixed(0)} samples/s, last loss ${last.loss.toFixed(4)}`);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
