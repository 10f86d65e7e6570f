import { ErrorCode, TrainyardError } from '@trainyard/common';
import { decodeShard, DatasetIndex } from '../internal';
import { idxBytes, mnistSubset } from '../testing/idx-fixtures';
import {
  cifar100Archive,
  cifar10Archive,
  CIFAR10_NAMES,
  cifarRecords,
  csvOf,
  imageBytes,
  imageFolderMembers,
  MemorySink,
  noise,
  sourceOf,
  tarOf,
  zipFromMembers,
  zipOf,
} from '../testing/fixtures';
import { ingestDataset, IngestRequest } from './registry';
import { gzipSync } from 'node:zlib';

async function ingest(format: string, files: Record<string, Uint8Array>, extra: Partial<IngestRequest> = {}) {
  const sink = new MemorySink();
  const index = await ingestDataset({ format, files: Object.entries(files).map(([n, b]) => sourceOf(n, b)), sink, shardBytes: 4096, ...extra });
  return { index, sink };
}

async function failure(p: Promise<unknown>): Promise<TrainyardError> {
  try {
    await p;
  } catch (e) {
    return e as TrainyardError;
  }
  throw new Error('expected the ingest to fail');
}

/** Every sample of a split, decoded from its shards. */
function readSplit(sink: MemorySink, index: DatasetIndex, split: 'train' | 'test' | 'validation') {
  const s = index.splits[split]!;
  const labels: number[] = [];
  const samples: Array<Uint8Array | Float32Array> = [];
  const per = index.sampleShape[0] * index.sampleShape[1] * index.sampleShape[2];
  for (const ref of s.shards) {
    const d = decodeShard(sink.files.get(ref.name)!, index, ref);
    for (let i = 0; i < d.count; i++) {
      labels.push(d.labels[i]);
      samples.push(d.samples.subarray(i * per, (i + 1) * per));
    }
  }
  return { labels, samples };
}

describe('idx format', () => {
  it('ingests real MNIST samples, gzipped or not, with histogram and mean/std', async () => {
    const files = {
      'train-images': new Uint8Array(gzipSync(mnistSubset('images', 'train', 300))),
      'train-labels': mnistSubset('labels', 'train', 300),
      'test-images': mnistSubset('images', 't10k', 100),
      'test-labels': mnistSubset('labels', 't10k', 100),
    };
    const { index, sink } = await ingest('idx', files);
    expect(index.sampleShape).toEqual([28, 28, 1]);
    expect(index.splits.train.count).toBe(300);
    expect(index.splits.test!.count).toBe(100);
    expect(index.splitting.testFrom).toBe('source');
    const labels = mnistSubset('labels', 'train', 300).subarray(8);
    const hist = new Array(10).fill(0);
    labels.forEach((l) => hist[l]++);
    expect(index.splits.train.histogram).toEqual(hist);
    // MNIST's pixel mean is ~33 (0.1307 * 255) and std ~78 (0.3081 * 255).
    expect(index.splits.train.mean[0]).toBeGreaterThan(25);
    expect(index.splits.train.mean[0]).toBeLessThan(42);
    expect(index.splits.train.std[0]).toBeGreaterThan(70);
    expect(index.splits.train.std[0]).toBeLessThan(90);
    // More than one shard, and the shards together hold the samples (as a multiset).
    expect(index.splits.train.shards.length).toBeGreaterThan(1);
    const back = readSplit(sink, index, 'train');
    const h2 = new Array(10).fill(0);
    back.labels.forEach((l) => h2[l]++);
    expect(h2).toEqual(hist);
    const sums = (arr: Iterable<Uint8Array | Float32Array>) => [...arr].map((s) => Array.from(s).reduce((a, b) => a + b, 0)).sort((a, b) => a - b);
    const imgs = mnistSubset('images', 'train', 300).subarray(16);
    expect(sums(back.samples)).toEqual(sums(Array.from({ length: 300 }, (_, i) => imgs.subarray(i * 784, (i + 1) * 784))));
  });

  it('draws a seeded test split when only train was uploaded, the same for the same seed', async () => {
    const files = { 'train-images': mnistSubset('images', 'train', 200), 'train-labels': mnistSubset('labels', 'train', 200) };
    const a = await ingest('idx', files, { split: { testFraction: 0.25, validationFraction: 0.1, seed: 7 } });
    const b = await ingest('idx', files, { split: { testFraction: 0.25, validationFraction: 0.1, seed: 7 } });
    const c = await ingest('idx', files, { split: { testFraction: 0.25, validationFraction: 0.1, seed: 8 } });
    const { train, test, validation } = a.index.splits;
    expect(train.count + test!.count + validation!.count).toBe(200);
    expect(test!.count).toBeGreaterThan(30);
    expect(test!.count).toBeLessThan(70);
    expect(validation!.count).toBeGreaterThan(5);
    expect(a.index.splitting).toEqual({ testFrom: 'seeded', testFraction: 0.25, validationFraction: 0.1, seed: 7 });
    expect(readSplit(a.sink, a.index, 'test').labels).toEqual(readSplit(b.sink, b.index, 'test').labels);
    expect(readSplit(a.sink, a.index, 'test').labels).not.toEqual(readSplit(c.sink, c.index, 'test').labels);
  });

  it('rejects an images file whose size disagrees with its header, naming the file', async () => {
    const imgs = mnistSubset('images', 'train', 50);
    const e = await failure(ingest('idx', { 'train-images': imgs.subarray(0, imgs.length - 10), 'train-labels': mnistSubset('labels', 'train', 50) }));
    expect(e.code).toBe(ErrorCode.INVALID_DATASET_FILE);
    expect(e.message).toMatch(/^train-images: the header declares 50 records but the file holds 49/);
  });

  it('rejects a count mismatch between images and labels, and a single class', async () => {
    const e = await failure(ingest('idx', { 'train-images': mnistSubset('images', 'train', 50), 'train-labels': mnistSubset('labels', 'train', 40) }));
    expect(e.message).toMatch(/train-images: 50 images but train-labels holds 40 labels/);
    const one = await failure(ingest('idx', { 'train-images': idxBytes('images', [3, 2, 2], noise(12)), 'train-labels': idxBytes('labels', [3], [4, 4, 4]) }));
    expect(one.details).toMatchObject({ problem: 'single-class' });
  });

  it('rejects bad gzip and missing files', async () => {
    const bad = new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]);
    const e = await failure(ingest('idx', { 'train-images': bad, 'train-labels': mnistSubset('labels', 'train', 5) }));
    expect(e.message).toMatch(/^train-images: not a valid gzip stream/);
    const m = await failure(ingest('idx', { 'train-images': mnistSubset('images', 'train', 5) }));
    expect(m.message).toMatch(/train-labels is missing/);
  });
});

describe('CIFAR formats', () => {
  it('ingests CIFAR-10 with class names from the archive and HWC pixels', async () => {
    const { index, sink } = await ingest('cifar10', { 'cifar-10-binary.tar.gz': await cifar10Archive({ batches: 2, perBatch: 30, test: 20 }) });
    expect(index.classNames).toEqual(CIFAR10_NAMES);
    expect(index.sampleShape).toEqual([32, 32, 3]);
    expect(index.splits.train.count).toBe(60);
    expect(index.splits.test!.count).toBe(20);
    expect(index.splits.train.histogram).toEqual([6, 6, 6, 6, 6, 6, 6, 6, 6, 6]);
    expect(index.splits.train.mean).toHaveLength(3);
    // Test batch, first record: label 0, red plane pixel 0 = 0 (the record index), green plane from noise.
    const raw = cifarRecords(Array.from({ length: 20 }, (_, i) => i % 10), 99);
    const test = readSplit(sink, index, 'test');
    const k = test.samples.findIndex((s, j) => test.labels[j] === 3 && s[0] === 3);
    expect(k).toBeGreaterThanOrEqual(0);
    // HWC: pixel p channel c = plane c at p.
    expect(test.samples[k][1]).toBe(raw[3 * 3073 + 1 + 1024]);
    expect(test.samples[k][5]).toBe(raw[3 * 3073 + 1 + 2048 + 1]);
  });

  it('ingests CIFAR-100 fine or coarse', async () => {
    const archive = await cifar100Archive({ train: 200, test: 100 });
    const fine = await ingest('cifar100', { 'c.tar.gz': archive });
    expect(fine.index.classNames).toHaveLength(100);
    expect(fine.index.classNames[7]).toBe('fine7');
    expect(fine.index.splits.train.histogram.every((n) => n === 2)).toBe(true);
    const coarse = await ingest('cifar100', { 'c.tar.gz': archive }, { options: { labels: 'coarse' } });
    expect(coarse.index.classNames[3]).toBe('coarse3');
    expect(coarse.index.splits.train.histogram).toEqual(new Array(20).fill(10));
  });

  it('rejects a batch whose size is not whole records', async () => {
    const e = await failure(ingest('cifar10', { 'c.tar.gz': await cifar10Archive({ truncate: true }) }));
    expect(e.message).toMatch(/c\.tar\.gz:cifar-10-batches-bin\/data_batch_1\.bin: \d+ bytes is not a whole number of 3073-byte records/);
  });

  it('rejects an archive without data batches, and a non-archive', async () => {
    const e = await failure(ingest('cifar10', { 'c.tar.gz': await tarOf([{ name: 'readme.txt', data: 'hi' }], true) }));
    expect(e.message).toMatch(/no data_batch_N\.bin/);
    const n = await failure(ingest('cifar10', { 'c.tar.gz': noise(2000) }));
    expect(n.message).toMatch(/c\.tar\.gz: not a \.zip, \.tar or \.tar\.gz archive/);
  });
});

describe('ImageFolder format', () => {
  it('ingests a zip of mixed sizes and formats at the most common size', async () => {
    const { index, sink } = await ingest('imagefolder', { 'pets.zip': zipFromMembers(await imageFolderMembers({ perClass: 4, root: 'pets/' })) }, { split: { testFraction: 0.25, seed: 3 } });
    expect(index.classNames).toEqual(['cat', 'dog', 'fox']);
    expect(index.sampleShape).toEqual([10, 12, 3]);
    expect(index.notes.originalSizes).toEqual({ '10x12': 9, '8x8': 3 });
    expect(index.splits.train.count + index.splits.test!.count).toBe(12);
    expect(index.splitting.testFrom).toBe('seeded');
    // Each class has its own colour; the decoded pixels keep it (JPEG within a few levels).
    const train = readSplit(sink, index, 'train');
    train.samples.forEach((s, i) => {
      const want = [[200, 30, 30], [30, 200, 30], [30, 30, 200]][train.labels[i]];
      for (let k = 0; k < 3; k++) expect(Math.abs(s[k] - want[k])).toBeLessThan(8);
    });
    expect(index.splits.train.mean).toHaveLength(3);
  });

  it('reads train/ and test/ from a tar.gz, as grayscale at a chosen size', async () => {
    const archive = await tarOf(await imageFolderMembers({ split: true, perClass: 3 }), true);
    const { index } = await ingest('imagefolder', { 'p.tar.gz': archive }, { options: { size: [6, 6], channels: 1 } });
    expect(index.sampleShape).toEqual([6, 6, 1]);
    expect(index.splits.train.count).toBe(9);
    expect(index.splits.test!.count).toBe(9);
    expect(index.splitting.testFrom).toBe('source');
    expect(index.splits.test!.histogram).toEqual([3, 3, 3]);
  });

  it('skips and counts corrupt images, or rejects them', async () => {
    const members = [...(await imageFolderMembers({ perClass: 3 })), { name: 'cat/broken.png', data: noise(300) }, { name: 'dog/notes.txt', data: 'hello' }];
    const archive = await tarOf(members);
    const skipped = await ingest('imagefolder', { 'p.tar': archive }, { options: { onCorrupt: 'skip' } });
    expect(skipped.index.skipped.count).toBe(2);
    expect(skipped.index.skipped.examples.sort()).toEqual(['cat/broken.png', 'dog/notes.txt']);
    expect(skipped.index.splits.train.count + (skipped.index.splits.test?.count ?? 0)).toBe(9);
    const e = await failure(ingest('imagefolder', { 'p.tar': archive }));
    expect(e.message).toMatch(/^p\.tar:cat\/broken\.png: not a readable image/);
  });

  it('rejects path escapes, absolute paths and links, in zip and tar', async () => {
    const png = await imageBytes(4, 4, [1, 2, 3]);
    const good = await imageFolderMembers({ perClass: 2 });
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['z.zip', zipOf([...good.filter((m) => m.type !== 'directory'), { name: '../evil/x.png', data: png }]), /escapes the archive/],
      ['t.tar', await tarOf([...good, { name: '../evil/x.png', data: png }]), /escapes the archive/],
      ['a.tar', await tarOf([...good, { name: '/etc/x.png', data: png }]), /absolute path|escapes/],
      ['l.tar', await tarOf([...good, { name: 'cat/link.png', type: 'symlink', linkname: '/etc/passwd' }]), /cat\/link\.png is a symbolic link/],
      ['h.tar', await tarOf([...good, { name: 'cat/hard.png', type: 'link', linkname: 'cat/0.png' }]), /is a hard link/],
      ['s.zip', zipOf([...good.filter((m) => m.type !== 'directory'), { name: 'cat/s.png', data: '/etc/passwd', symlink: true }]), /cat\/s\.png is a symbolic link/],
    ];
    for (const [name, bytes, msg] of cases) {
      const e = await failure(ingest('imagefolder', { [name]: bytes }));
      expect(e.code).toBe(ErrorCode.INVALID_DATASET_FILE);
      expect(e.message).toMatch(msg);
      expect(e.message.startsWith(name)).toBe(true);
    }
  });

  it('stops a zip bomb at the expanded-size and entry-count limits', async () => {
    const bomb = zipOf([{ name: 'cat/a.png', data: new Uint8Array(5_000_000) }, { name: 'dog/b.png', data: new Uint8Array(5_000_000) }]);
    expect(bomb.length).toBeLessThan(30_000);
    const e = await failure(ingest('imagefolder', { 'bomb.zip': bomb }, { limits: { maxExpandedBytes: 6_000_000 } }));
    expect(e.message).toMatch(/^bomb\.zip: expands to more than 6000000 bytes/);
    const many = await failure(ingest('imagefolder', { 'many.tar': await tarOf(await imageFolderMembers({ perClass: 5 })) }, { limits: { maxEntries: 8 } }));
    expect(many.message).toMatch(/more than 8 entries/);
  });

  it('rejects an image past the pixel limit before decoding it', async () => {
    const members = await imageFolderMembers({ perClass: 2 });
    members.push({ name: 'dog/huge.png', data: await imageBytes(300, 200, [0, 0, 0]) });
    const e = await failure(ingest('imagefolder', { 'p.tar': await tarOf(members) }, { limits: { maxImagePixels: 50_000 } }));
    expect(e.message).toMatch(/p\.tar:dog\/huge\.png: 300x200 is 60000 pixels, more than the limit of 50000/);
  });

  it('rejects an empty class folder and a single class', async () => {
    const members = [...(await imageFolderMembers({ perClass: 2 })), { name: 'empty/', type: 'directory' as const }];
    const e = await failure(ingest('imagefolder', { 'p.tar': await tarOf(members) }));
    expect(e.message).toMatch(/p\.tar:empty\/: the class folder holds no images/);
    const one = await failure(ingest('imagefolder', { 'p.tar': await tarOf(await imageFolderMembers({ classes: ['cat'], perClass: 3 })) }));
    expect(one.message).toMatch(/only one class folder \("cat"\)/);
  });
});

describe('CSV format', () => {
  it('ingests string classes and selected features, with per-feature mean/std', async () => {
    const { index, sink } = await ingest('csv', { 'iris.csv': csvOf(90) }, { options: { labelColumn: 'label', features: ['f3', 'f1'] }, split: { testFraction: 0.2, seed: 1 } });
    expect(index.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(index.featureNames).toEqual(['f3', 'f1']);
    expect(index.sampleShape).toEqual([1, 1, 2]);
    expect(index.dtype).toBe('float32');
    expect(index.splits.train.count + index.splits.test!.count).toBe(90);
    const train = readSplit(sink, index, 'train');
    // f3 = cls*2 + 1.0 + noise/10, f1 = cls*2 + noise/10.
    train.samples.forEach((s, i) => {
      expect(Math.floor(s[0] - 1)).toBe(train.labels[i] * 2);
      expect(Math.floor(s[1])).toBe(train.labels[i] * 2);
    });
    expect(index.splits.train.mean[1]).toBeGreaterThan(1.5);
    expect(index.splits.train.mean[1]).toBeLessThan(2.5);
  });

  it('keeps integer classes in numeric order and reads a regression target', async () => {
    const ints = await ingest('csv', { 'd.csv': csvOf(30, { label: (i) => [10, 2, 7][i % 3] }) }, { options: { labelColumn: 'label' } });
    expect(ints.index.classNames).toEqual(['2', '7', '10']);
    const reg = await ingest('csv', { 'r.csv': csvOf(40, { label: (i) => (i * 0.5).toFixed(2) }) }, { options: { labelColumn: 'label', task: 'regression' } });
    expect(reg.index.task).toBe('regression');
    expect(reg.index.classNames).toEqual([]);
    const all = [...readSplit(reg.sink, reg.index, 'train').labels, ...readSplit(reg.sink, reg.index, 'test').labels].sort((a, b) => a - b);
    expect(all[0]).toBeCloseTo(0);
    expect(all[39]).toBeCloseTo(19.5);
  });

  it('names the line and column of a missing or non-numeric value, and a missing label column', async () => {
    const missing = await failure(ingest('csv', { 'd.csv': csvOf(10, { mutate: (c) => (c[4][1] = '') }) }, { options: { labelColumn: 'label' } }));
    expect(missing.message).toBe('d.csv: line 6: column "f2" is empty');
    const nan = await failure(ingest('csv', { 'd.csv': csvOf(10, { mutate: (c) => (c[2][0] = 'abc') }) }, { options: { labelColumn: 'label' } }));
    expect(nan.message).toBe('d.csv: line 4: column "f1" is not a number: "abc"');
    const col = await failure(ingest('csv', { 'd.csv': csvOf(10) }, { options: { labelColumn: 'species' } }));
    expect(col.message).toMatch(/^d\.csv: no column named "species" in the header \(columns: "f1", "f2", "f3", "label"\)/);
    const one = await failure(ingest('csv', { 'd.csv': csvOf(10, { label: () => 'a' }) }, { options: { labelColumn: 'label' } }));
    expect(one.details).toMatchObject({ problem: 'single-class' });
  });

  it('validates options before reading', async () => {
    const e = await failure(ingest('csv', { 'd.csv': csvOf(10) }, { options: {} }));
    expect(e.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(e.message).toMatch(/options\.labelColumn/);
    const f = await failure(ingest('parquet', { 'd.csv': csvOf(10) }));
    expect(f.message).toMatch(/unknown dataset format "parquet"; known: idx, cifar10, cifar100, imagefolder, csv/);
  });
});
