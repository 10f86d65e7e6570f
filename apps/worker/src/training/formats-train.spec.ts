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
import { buildModel, buildOptimizer, evaluate, initBackend, Trainer } from '@trainyard/engine';
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

it('a CSV regression target trains the mlp with MSE, L1 and Huber, and evaluation reports MSE, MAE and R²', async () => {
  // y = 2 a - b + 0.5 c + 1: a linear target an MLP fits quickly.
  const rows = 400;
  const lines = ['a,b,c,y'];
  for (let i = 0; i < rows; i++) {
    const a = ((i * 37) % 100) / 25;
    const b = ((i * 11) % 50) / 10;
    const c = ((i * 7) % 30) / 6;
    lines.push(`${a},${b},${c},${(2 * a - b + 0.5 * c + 1).toFixed(4)}`);
  }
  const { index, at } = await ingestToDisk('reg', 'csv', { 'reg.csv': new TextEncoder().encode(lines.join('\n') + '\n') }, { labelColumn: 'y', task: 'regression' });
  expect(index.task).toBe('regression');
  const pipeline = { map: [{ op: 'Normalize', mean: 'dataset', std: 'dataset' }], shuffle: { bufferSize: 128 }, batch: { size: 16, dropRemainder: true } };
  for (const loss of [{ name: 'MSE' }, { name: 'L1' }, { name: 'Huber', delta: 1 }] as const) {
    const trainer = new Trainer({
      model: buildModel({ name: 'mlp', params: { hidden: [32] }, inputShape: [1, 1, 3], numClasses: 1, seed: 1 }),
      optimizer: buildOptimizer({ name: 'Adam', learningRate: 0.01 }),
      loss,
      trackAccuracy: true,
    });
    const { losses } = await train(trainer, index, at, pipeline, 10);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5);
    const test = buildShardedBatchSource({ kind: 'sharded', index, split: 'test', dir: at }, validatePipelineSpec(pipeline), { seed: 3, shuffle: false, dropRemainder: false, inline: true });
    const m = await evaluate(trainer.model, test.epoch(0), 1, { loss, task: 'regression' });
    expect(m.task).toBe('regression');
    expect(m.count).toBe(index.splits.test!.count);
    expect(m.regression!.count).toBe(index.splits.test!.count);
    expect(m.regression!.r2).toBeGreaterThan(0.8);
    expect(m.regression!.mae).toBeLessThan(1);
    expect(m.perClass).toEqual([]);
  }
});

it('OneHot labels train with softmax cross-entropy and with MSE (no oneHot flag on the loss)', async () => {
  const { index, at } = await ingestToDisk('csv-onehot', 'csv', { 'iris.csv': csvOf(300) }, { labelColumn: 'label' });
  const f = index.sampleShape[2];
  const pipeline = { map: [{ op: 'Normalize', mean: 'dataset', std: 'dataset' }, { op: 'OneHot', numClasses: 3 }], shuffle: { bufferSize: 64 }, batch: { size: 16, dropRemainder: true } };
  for (const loss of [{ name: 'SoftmaxCrossEntropyWithLogits', sparse: false }, { name: 'MSE' }] as const) {
    const trainer = new Trainer({ model: buildModel({ name: 'mlp', params: { hidden: [16] }, inputShape: [1, 1, f], numClasses: 3, seed: 2 }), optimizer: buildOptimizer({ name: 'Adam', learningRate: 0.02 }), loss });
    const { losses } = await train(trainer, index, at, pipeline, 6);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.7);
    const test = buildShardedBatchSource({ kind: 'sharded', index, split: 'test', dir: at }, validatePipelineSpec(pipeline), { seed: 3, shuffle: false, dropRemainder: false, inline: true });
    const m = await evaluate(trainer.model, test.epoch(0), 3, { loss });
    expect(m.accuracy).toBeGreaterThan(0.8);
    if (loss.name === 'MSE') expect(m.regression!.mse).toBeLessThan(0.2);
  }
});
