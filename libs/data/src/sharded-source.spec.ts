import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Batch } from '@trainyard/common';
import { ingestDataset } from './formats';
import { DatasetIndex } from './internal';
import { applyOp, compileMap, Grayscale, RandomCrop, RandomHorizontalFlip, RandomRotation } from './ops';
import { deterministicMap, validatePipelineSpec } from './pipeline-spec';
import { buildShardedBatchSource } from './sharded-source';
import { cifar10Archive, MemorySink, sourceOf } from './testing/fixtures';

async function cifar(perBatch = 30) {
  const sink = new MemorySink();
  const index = await ingestDataset({ format: 'cifar10', files: [sourceOf('c.tar.gz', await cifar10Archive({ batches: 2, perBatch, test: 20 }))], sink, shardBytes: 10 * 3076 });
  return { sink, index };
}

const source = (sink: MemorySink, index: DatasetIndex, pipeline: unknown, shuffle: boolean, split: 'train' | 'test' = 'train') =>
  buildShardedBatchSource({ kind: 'sharded', index, split, dir: '/nonexistent' }, validatePipelineSpec(pipeline), {
    seed: 5,
    shuffle,
    readShard: async (ref) => sink.files.get(ref.name)!,
  });

/** The ingested files written to a temp folder, as the worker's shard cache holds them (the threads read from disk). */
async function shardsOnDisk(sink: MemorySink): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shards-'));
  for (const [name, bytes] of sink.files) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), bytes);
  }
  return dir;
}

async function collect(it: AsyncIterable<Batch>) {
  const out: Batch[] = [];
  for await (const b of it) out.push({ x: b.x.slice(), xShape: b.xShape, y: b.y.slice() });
  return out;
}

/** The red value of pixel 0 (the record index in the fixture) and label of each sample. */
const ids = (batches: Batch[]) => batches.flatMap((b) => Array.from(b.y, (y, i) => `${y}:${b.x[i * (b.x.length / b.y.length)]}`));

describe('buildShardedBatchSource', () => {
  it('visits every sample once per epoch, in a seeded order that differs per epoch and repeats per (seed, epoch)', async () => {
    const { sink, index } = await cifar();
    expect(index.splits.train.shards.length).toBeGreaterThan(3);
    const spec = { batch: { size: 8, dropRemainder: false }, shuffle: { bufferSize: 16 } };
    const src = source(sink, index, spec, true);
    expect(src.batchesPerEpoch).toBe(8);
    const e0 = await collect(src.epoch(0));
    const e0again = await collect(source(sink, index, spec, true).epoch(0));
    const e1 = await collect(src.epoch(1));
    expect(ids(e0)).toHaveLength(60);
    expect(new Set(ids(e0)).size).toBe(60);
    expect([...ids(e0)].sort()).toEqual([...ids(e1)].sort());
    expect(ids(e0)).toEqual(ids(e0again));
    expect(ids(e0)).not.toEqual(ids(e1));
    const plain = await collect(source(sink, index, spec, false).epoch(0));
    expect([...ids(plain)].sort()).toEqual([...ids(e0)].sort());
    expect(ids(plain)).not.toEqual(ids(e0));
  });

  it('applies random ops only in training, seeded per epoch', async () => {
    const { sink, index } = await cifar();
    const spec = { map: [{ op: 'RandomCrop', size: 28, padding: 4 }, { op: 'RandomHorizontalFlip' }, { op: 'Rescale', rescale: 1 / 255, shift: 0 }], batch: { size: 10, dropRemainder: true } };
    const train = source(sink, index, spec, true);
    expect(train.sampleShape).toEqual([28, 28, 3]);
    const a = await collect(train.epoch(2));
    const b = await collect(source(sink, index, spec, true).epoch(2));
    expect(a.map((x) => Array.from(x.x.subarray(0, 50)))).toEqual(b.map((x) => Array.from(x.x.subarray(0, 50))));
    const test = await collect(source(sink, index, spec, false, 'test').epoch(0));
    const again = await collect(source(sink, index, spec, false, 'test').epoch(3));
    expect(test.map((x) => Array.from(x.x))).toEqual(again.map((x) => Array.from(x.x)));
  });

  it('resolves Normalize("dataset") from the split statistics', async () => {
    const { sink, index } = await cifar();
    const src = source(sink, index, { map: [{ op: 'Normalize', mean: 'dataset', std: 'dataset' }], batch: { size: 60, dropRemainder: true } }, false);
    const [batch] = await collect(src.epoch(0));
    for (let c = 0; c < 3; c++) {
      let s = 0;
      let s2 = 0;
      const n = batch.x.length / 3;
      for (let i = c; i < batch.x.length; i += 3) {
        s += batch.x[i];
        s2 += batch.x[i] * batch.x[i];
      }
      expect(s / n).toBeCloseTo(0, 4);
      expect(s2 / n).toBeCloseTo(1, 3);
    }
  });

  it('gives the same batches from the prefetch thread as inline, reading shards from disk', async () => {
    const { sink, index } = await cifar();
    const dir = await shardsOnDisk(sink);
    try {
      const spec = validatePipelineSpec({ map: [{ op: 'RandomHorizontalFlip' }], shuffle: { bufferSize: 20 }, batch: { size: 7, dropRemainder: false } });
      const ref = { kind: 'sharded' as const, index, split: 'train' as const, dir };
      const inline = await collect(buildShardedBatchSource(ref, spec, { seed: 9, shuffle: true, inline: true }).epoch(1));
      const src = buildShardedBatchSource(ref, spec, { seed: 9, shuffle: true, prefetchBatches: 2 });
      const inline0 = await collect(buildShardedBatchSource(ref, spec, { seed: 9, shuffle: true, inline: true }).epoch(0));
      // Epochs 1, 0, then 1 abandoned after two batches, then 1 again: same thread, then a fresh one.
      for (const [e, want] of [[1, inline], [0, inline0]] as const) {
        const threaded = await collect(src.epoch(e));
        expect(threaded.length).toBe(9);
        expect(threaded.map((b) => Array.from(b.x))).toEqual(want.map((b) => Array.from(b.x)));
        expect(threaded.map((b) => Array.from(b.y))).toEqual(want.map((b) => Array.from(b.y)));
      }
      let k = 0;
      for await (const b of src.epoch(1)) {
        expect(Array.from(b.y)).toEqual(Array.from(inline[k].y));
        if (++k === 2) break;
      }
      expect((await collect(src.epoch(1))).map((b) => Array.from(b.y))).toEqual(inline.map((b) => Array.from(b.y)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000); // a thread starting from sources compiles them with swc first: seconds on a busy machine

  it('reuses the feature arrays of released batches, inline and from the prefetch thread, without changing a value', async () => {
    const { sink, index } = await cifar();
    const dir = await shardsOnDisk(sink);
    try {
      const spec = validatePipelineSpec({ map: [{ op: 'RandomCrop', size: 32, padding: 4 }, { op: 'Rescale', rescale: 1 / 255, shift: 0 }], shuffle: { bufferSize: 20 }, batch: { size: 8, dropRemainder: true } });
      const ref = { kind: 'sharded' as const, index, split: 'train' as const, dir };
      const want = await collect(buildShardedBatchSource(ref, spec, { seed: 3, shuffle: true, inline: true }).epoch(2));

      // Inline: a released array comes back as a later batch's x, filled with that batch's values.
      const inline = buildShardedBatchSource(ref, spec, { seed: 3, shuffle: true, inline: true });
      const seen = new Set<Float32Array>();
      let reused = 0;
      let k = 0;
      for await (const b of inline.epoch(2)) {
        if (seen.has(b.x)) reused++;
        seen.add(b.x);
        expect(Array.from(b.x)).toEqual(Array.from(want[k++].x));
        inline.release(b);
        inline.release(b); // twice: still one owner per array
      }
      expect(k).toBe(want.length);
      expect(reused).toBe(want.length - 1);

      // Threaded: a released array is transferred back to the thread (empty here), and every batch is still right.
      const threaded = buildShardedBatchSource(ref, spec, { seed: 3, shuffle: true, prefetchBatches: 2 });
      k = 0;
      for await (const b of threaded.epoch(2)) {
        expect(Array.from(b.x)).toEqual(Array.from(want[k++].x));
        threaded.release(b);
        expect(b.x.length).toBe(0);
      }
      expect(k).toBe(want.length);
      await threaded.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('reading shards from disk into its ring of buffers gives what reading them from memory gives, and names a cut-off shard', async () => {
    const { sink, index } = await cifar();
    expect(index.splits.train.shards.length).toBeGreaterThan(4); // more shards than any ring below
    const dir = await shardsOnDisk(sink);
    try {
      const spec = validatePipelineSpec({ map: [{ op: 'RandomHorizontalFlip' }], shuffle: { bufferSize: 8 }, batch: { size: 5, dropRemainder: false } });
      const ref = { kind: 'sharded' as const, index, split: 'train' as const, dir };
      for (const prefetch of [0, 1, 2]) {
        for (const e of [0, 1]) {
          const fromMemory = await collect(buildShardedBatchSource(ref, spec, { seed: 4, shuffle: true, prefetch, readShard: async (r) => sink.files.get(r.name)! }).epoch(e));
          // Consumed slowly (a timer turn per batch, as a training step gives), so reads ahead land while a shard is in use.
          const fromDisk: Batch[] = [];
          for await (const b of buildShardedBatchSource(ref, spec, { seed: 4, shuffle: true, prefetch, inline: true }).epoch(e)) {
            fromDisk.push({ x: b.x.slice(), xShape: b.xShape, y: b.y.slice() });
            await new Promise((r) => setTimeout(r, 2));
          }
          expect(fromDisk.map((b) => Array.from(b.x))).toEqual(fromMemory.map((b) => Array.from(b.x)));
          expect(fromDisk.map((b) => Array.from(b.y))).toEqual(fromMemory.map((b) => Array.from(b.y)));
        }
      }
      const victim = index.splits.train.shards[2];
      await writeFile(path.join(dir, victim.name), sink.files.get(victim.name)!.subarray(0, victim.sizeBytes - 7));
      await expect(collect(buildShardedBatchSource(ref, spec, { seed: 4, shuffle: false, inline: true }).epoch(0))).rejects.toThrow(`shard ${victim.name}: ${victim.sizeBytes - 7} bytes`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000); // six slow passes over the disk: seconds on a loaded machine

  it('OneHot gives float target rows beside the class indices', async () => {
    const { sink, index } = await cifar();
    const src = source(sink, index, { map: [{ op: 'OneHot', numClasses: 10, smoothing: 0.1 }], batch: { size: 8, dropRemainder: false } }, false);
    let rows = 0;
    for await (const b of src.epoch(0)) {
      expect(b.targets).toBeInstanceOf(Float32Array);
      expect(b.targets!.length).toBe(b.y.length * 10);
      b.y.forEach((label, i) => {
        const row = Array.from(b.targets!.subarray(i * 10, i * 10 + 10));
        expect(row.indexOf(Math.max(...row))).toBe(label);
        expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
        expect(Math.max(...row)).toBeCloseTo(0.91, 5);
      });
      rows += b.y.length;
    }
    expect(rows).toBe(60);
    expect(() => source(sink, index, { map: [{ op: 'OneHot', numClasses: 4 }] }, false)).toThrow(/numClasses 4 is smaller than the dataset's 10 classes/);
  });

  it('a regression dataset streams its float targets (shuffled along with their samples)', async () => {
    const rows = 50;
    const header = 'a,b,y\n';
    const body = Array.from({ length: rows }, (_, i) => `${i},${i % 7},${(i * 1.5 + 0.25).toFixed(2)}`).join('\n');
    const sink = new MemorySink();
    const index = await ingestDataset({ format: 'csv', options: { labelColumn: 'y', task: 'regression' }, split: { testFraction: 0.2, seed: 1 }, files: [sourceOf('t.csv', new TextEncoder().encode(header + body + '\n'))], sink });
    expect(index.task).toBe('regression');
    const src = source(sink, index, { shuffle: { bufferSize: 16 }, batch: { size: 8, dropRemainder: false } }, true);
    let seen = 0;
    for await (const b of src.epoch(0)) {
      expect(b.targets!.length).toBe(b.y.length);
      for (let i = 0; i < b.y.length; i++) expect(b.targets![i]).toBeCloseTo(b.x[i * 2] * 1.5 + 0.25, 4); // target = 1.5 a + 0.25, whatever the order
      seen += b.y.length;
    }
    expect(seen).toBe(index.splits.train.count);
  });

  it('honours skip/take and drop_remainder', async () => {
    const { sink, index } = await cifar();
    const src = source(sink, index, { skip: 10, take: 25, batch: { size: 10, dropRemainder: false } }, false);
    const batches = await collect(src.epoch(0));
    expect(batches.map((b) => b.y.length)).toEqual([10, 10, 5]);
  });
});

describe('map transforms', () => {
  const img = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3, 1], dtype: 'uint8' as const };

  it('RandomHorizontalFlip(p=1) mirrors rows; p=0 leaves them', () => {
    expect(Array.from(applyOp(new RandomHorizontalFlip({ p: 1 }), img).data)).toEqual([3, 2, 1, 6, 5, 4]);
    expect(Array.from(applyOp(new RandomHorizontalFlip({ p: 0 }), img).data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('RandomCrop with padding keeps the size and takes a window of the zero-padded image', () => {
    const prog = compileMap([{ op: 'RandomCrop', size: [2, 3], padding: 1 }], [2, 3, 1], 'uint8', { training: true });
    const seen = new Set<string>();
    for (let s = 0; s < 40; s++) {
      prog.reseed(s);
      const out = new Float32Array(6);
      prog.run(img.data, 0, out, 0);
      seen.add(out.join(','));
      // Every output value is 0 (padding) or a pixel of the image.
      out.forEach((v) => expect([0, 1, 2, 3, 4, 5, 6]).toContain(v));
    }
    expect(seen.size).toBeGreaterThan(3);
    expect(seen.has('1,2,3,4,5,6')).toBe(true);
  });

  it('evaluation runs the deterministic part: RandomCrop becomes a centre crop, flips and rotations vanish', () => {
    const map = validatePipelineSpec({ map: [{ op: 'RandomCrop', size: 2, padding: 2 }, { op: 'RandomRotation', degrees: 30 }, { op: 'RandomHorizontalFlip' }, { op: 'Normalize', mean: 'dataset', std: [2] }] }).map;
    expect(deterministicMap(map, { mean: [1], std: [0] })).toEqual([
      { op: 'CenterCrop', size: 2 },
      { op: 'Normalize', mean: [1], std: [2] },
    ]);
    const prog = compileMap(map, [4, 4, 1], 'uint8', { stats: { mean: [1], std: [1] } });
    const out = new Float32Array(4);
    prog.run(Uint8Array.from({ length: 16 }, (_, i) => i), 0, out, 0);
    expect(Array.from(out)).toEqual([(5 - 1) / 2, (6 - 1) / 2, (9 - 1) / 2, (10 - 1) / 2]);
  });

  it('Grayscale uses ITU-R 601 weights; RandomRotation of 0 degrees is the identity', () => {
    const rgb = { data: Uint8Array.from([255, 0, 0, 0, 255, 0]), shape: [1, 2, 3], dtype: 'uint8' as const };
    expect(Array.from(applyOp(new Grayscale(), rgb).data)).toEqual([76, 150]);
    expect(Array.from(applyOp(new RandomRotation({ degrees: 0 }), img).data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new RandomCrop({ size: 5 }).outShape([8, 8, 3])).toEqual([5, 5, 3]);
  });

  it('rejects HWC ops after HWC2CHW and a crop larger than the padded image', () => {
    expect(() => validatePipelineSpec({ map: [{ op: 'HWC2CHW' }, { op: 'RandomHorizontalFlip' }] })).toThrow(/RandomHorizontalFlip works on HWC samples/);
    expect(() => compileMap([{ op: 'RandomCrop', size: 9, padding: 0 }], [8, 8, 1], 'uint8', { training: true })).toThrow(/larger than the padded 8x8/);
  });
});
