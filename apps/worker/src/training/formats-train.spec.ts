/**
 * A few training steps on each format's ingested, streamed form (the worker's path: registry ingest
 * -> shards on disk -> sharded source through the prefetch thread -> the engine's Trainer). CSV trains
 * a small multilayer perceptron built here with tfjs layers: the engine has no `mlp` model yet.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildShardedBatchSource, DatasetIndex, ingestDataset, validatePipelineSpec } from '@trainyard/data';
import { buildModel, buildOptimizer, initBackend, Trainer } from '@trainyard/engine';
import { cifar10Archive, csvOf, imageFolderMembers, MemorySink, sourceOf, zipFromMembers } from '../../../../libs/data/src/testing/fixtures';
import { idxBytes } from '../../../../libs/data/src/testing/idx-fixtures';

jest.setTimeout(120_000);

let dir: string;
beforeAll(async () => {
  await initBackend('auto');
  dir = await mkdtemp(path.join(tmpdir(), 'formats-train-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function ingestToDisk(name: string, format: string, files: Record<string, Uint8Array>, options?: unknown): Promise<{ index: DatasetIndex; at: string }> {
  const sink = new MemorySink();
  const index = await ingestDataset({ format, options, split: { testFraction: 0.2, seed: 1 }, files: Object.entries(files).map(([n, b]) => sourceOf(n, b)), sink, shardBytes: 16_384 });
  const at = path.join(dir, name);
  for (const [f, bytes] of sink.files) {
    await mkdir(path.dirname(path.join(at, f)), { recursive: true });
    await writeFile(path.join(at, f), bytes);
  }
  return { index, at };
}

async function train(trainer: Trainer, index: DatasetIndex, at: string, pipeline: unknown, epochs: number) {
  const src = buildShardedBatchSource({ kind: 'sharded', index, split: 'train', dir: at }, validatePipelineSpec(pipeline), { seed: 3, shuffle: true });
  const losses: number[] = [];
  const result = await trainer.fit(src, { epochs, callbacks: [{ onEpochEnd: (logs) => void losses.push(logs.meanLoss) }] });
  return { result, losses, steps: src.batchesPerEpoch };
}

it('idx (28x28x1) trains LeNet-5 after Resize 32x32', async () => {
  const n = 96;
  const labels = Array.from({ length: n }, (_, i) => i % 4);
  const px = new Uint8Array(n * 784).map((_, i) => ((Math.floor(i / 784) % 4) * 60 + (i % 7)) & 0xff);
  const { index, at } = await ingestToDisk('idx', 'idx', { 'train-images': idxBytes('images', [n, 28, 28], px), 'train-labels': idxBytes('labels', [n], labels) });
  const trainer = new Trainer({ model: buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 4, seed: 1 }), optimizer: buildOptimizer({ name: 'Adam', learningRate: 0.01 }) });
  const { result, losses } = await train(trainer, index, at, { map: [{ op: 'Resize', size: [32, 32] }, { op: 'Rescale', rescale: 1 / 255, shift: 0 }], batch: { size: 16, dropRemainder: true } }, 3);
  expect(result.step).toBeGreaterThan(6);
  expect(losses.every(Number.isFinite)).toBe(true);
});

it('CIFAR-10 and ImageFolder train the cnn with random augmentation', async () => {
  const cifar = await ingestToDisk('cifar', 'cifar10', { 'c.tar.gz': await cifar10Archive({ batches: 1, perBatch: 64, test: 0 }) });
  const pets = await ingestToDisk('pets', 'imagefolder', { 'p.zip': zipFromMembers(await imageFolderMembers({ perClass: 10 })) }, { size: [16, 16] });
  for (const [{ index, at }, classes] of [[cifar, 10], [pets, 3]] as const) {
    const [h, w, c] = index.sampleShape;
    const trainer = new Trainer({ model: buildModel({ name: 'cnn', inputShape: [h, w, c], numClasses: classes, seed: 1 }), optimizer: buildOptimizer({ name: 'Adam', learningRate: 0.001 }) });
    const { result, losses } = await train(
      trainer,
      index,
      at,
      { map: [{ op: 'RandomCrop', size: [h, w], padding: 2 }, { op: 'RandomHorizontalFlip' }, { op: 'Normalize', mean: 'dataset', std: 'dataset' }], batch: { size: 8, dropRemainder: true } },
      1,
    );
    expect(result.step).toBeGreaterThanOrEqual(2);
    expect(losses.every(Number.isFinite)).toBe(true);
  }
});

it('CSV trains a small MLP and its loss falls', async () => {
  const { index, at } = await ingestToDisk('csv', 'csv', { 'iris.csv': csvOf(300) }, { labelColumn: 'label' });
  const f = index.sampleShape[2];
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [1, 1, f] }), tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }), tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) })],
  });
  const trainer = new Trainer({ model, optimizer: buildOptimizer({ name: 'Adam', learningRate: 0.02 }) });
  const { losses } = await train(trainer, index, at, { map: [{ op: 'Normalize', mean: 'dataset', std: 'dataset' }], shuffle: { bufferSize: 64 }, batch: { size: 16, dropRemainder: true } }, 8);
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.7);
});
