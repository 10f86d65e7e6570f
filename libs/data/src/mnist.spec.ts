import { gzipSync } from 'node:zlib';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { parseIdx } from './idx';
import { IdxFileReport } from './idx-validator';
import { CIFAR10_RECORD_BYTES, checkMnistConsistency, loadCifar10, loadMnist } from './mnist';
import { idxBytes, mnistSubset } from './testing/idx-fixtures';

const codeAndMessage = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TrainyardError);
    return { code: (e as TrainyardError).code, message: (e as Error).message };
  }
  throw new Error('expected a throw');
};

describe('parseIdx on real MNIST', () => {
  const N = 500;
  it('parses the first N train samples, raw and gzipped', () => {
    for (const enc of [(b: Uint8Array) => b, (b: Uint8Array) => new Uint8Array(gzipSync(b))]) {
      const images = parseIdx(enc(mnistSubset('images', 'train', N)), 'images');
      const labels = parseIdx(enc(mnistSubset('labels', 'train', N)));
      expect(images.dims).toEqual([N, 28, 28]);
      expect(images.data.length).toBe(N * 784);
      expect(labels.dims).toEqual([N]);
      // The first MNIST training labels are well known.
      expect(Array.from(labels.data.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    }
  });

  it('loadMnist gives both splits with a histogram that sums to the count', () => {
    const ds = loadMnist({
      trainImages: mnistSubset('images', 'train', N),
      trainLabels: new Uint8Array(gzipSync(mnistSubset('labels', 'train', N))),
      testImages: mnistSubset('images', 't10k', 100),
      testLabels: mnistSubset('labels', 't10k', 100),
    });
    expect(ds.numClasses).toBe(10);
    expect(ds.train).toMatchObject({ count: N, shape: [28, 28, 1] });
    expect(ds.test.count).toBe(100);
    const hist = new Array(10).fill(0);
    ds.train.labels.forEach((l) => hist[l]++);
    expect(hist.reduce((a, b) => a + b, 0)).toBe(N);
    expect(hist.every((h) => h > 20)).toBe(true);
    // Pixels are 0..255 with a mostly black background.
    const zeros = ds.train.images.filter((p) => p === 0).length;
    expect(zeros / ds.train.images.length).toBeGreaterThan(0.7);
  });

  it('rejects a label/image count mismatch and trailing bytes', () => {
    const files = {
      trainImages: mnistSubset('images', 'train', 10),
      trainLabels: mnistSubset('labels', 'train', 9),
      testImages: mnistSubset('images', 't10k', 5),
      testLabels: mnistSubset('labels', 't10k', 5),
    };
    expect(codeAndMessage(() => loadMnist(files))).toEqual({ code: ErrorCode.INVALID_DATASET_FILE, message: 'train: 10 images but 9 labels' });
    const long = new Uint8Array([...mnistSubset('labels', 't10k', 5), 0]);
    expect(codeAndMessage(() => parseIdx(long, 'labels', 'test-labels')).message).toBe('test-labels: 1 trailing bytes after the 13 bytes the header declares');
  });
});

describe('checkMnistConsistency', () => {
  const report = (kind: 'images' | 'labels', count: number, extra: Partial<IdxFileReport> = {}): IdxFileReport => ({
    role: kind,
    kind,
    count,
    dims: kind === 'images' ? [count, 28, 28] : [count],
    ...(kind === 'labels' ? { numClasses: 10, classHistogram: [count, 0, 0, 0, 0, 0, 0, 0, 0, 0] } : {}),
    gzipped: false,
    sha256: 'x',
    sizeBytes: 0,
    idxBytes: 0,
    ...extra,
  });

  it('summarises four consistent files', () => {
    const s = checkMnistConsistency({
      trainImages: report('images', 60),
      trainLabels: report('labels', 60),
      testImages: report('images', 10),
      testLabels: report('labels', 10),
    });
    expect(s).toEqual({
      imageShape: [28, 28, 1],
      numClasses: 10,
      trainCount: 60,
      testCount: 10,
      classHistogram: { train: [60, 0, 0, 0, 0, 0, 0, 0, 0, 0], test: [10, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
    });
  });

  it('rejects a count mismatch per split', () => {
    const fn = () =>
      checkMnistConsistency({
        trainImages: report('images', 60),
        trainLabels: report('labels', 60),
        testImages: report('images', 10),
        testLabels: report('labels', 11),
      });
    expect(codeAndMessage(fn)).toEqual({ code: ErrorCode.INVALID_DATASET_FILE, message: 'test: 10 images but 11 labels' });
  });

  it('rejects different train and test image sizes', () => {
    const fn = () =>
      checkMnistConsistency({
        trainImages: report('images', 60),
        trainLabels: report('labels', 60),
        testImages: report('images', 10, { dims: [10, 32, 32] }),
        testLabels: report('labels', 10),
      });
    expect(codeAndMessage(fn).message).toBe('train images are 28x28 but test images are 32x32');
  });
});

describe('loadCifar10', () => {
  it('turns CHW records into HWC samples', () => {
    const rec = new Uint8Array(CIFAR10_RECORD_BYTES * 2);
    for (let r = 0; r < 2; r++) {
      const base = r * CIFAR10_RECORD_BYTES;
      rec[base] = r === 0 ? 3 : 7;
      for (let p = 0; p < 1024; p++) {
        rec[base + 1 + p] = 10 + r; // red plane
        rec[base + 1 + 1024 + p] = 20 + r; // green
        rec[base + 1 + 2048 + p] = 30 + r; // blue
      }
    }
    const s = loadCifar10([rec.subarray(0, CIFAR10_RECORD_BYTES), rec.subarray(CIFAR10_RECORD_BYTES)]);
    expect(s.count).toBe(2);
    expect(s.shape).toEqual([32, 32, 3]);
    expect(Array.from(s.labels)).toEqual([3, 7]);
    expect(Array.from(s.images.subarray(0, 6))).toEqual([10, 20, 30, 10, 20, 30]);
    expect(Array.from(s.images.subarray(3072, 3075))).toEqual([11, 21, 31]);
  });

  it('rejects partial records and bad labels', () => {
    expect(codeAndMessage(() => loadCifar10([new Uint8Array(100)])).message).toMatch(/100 bytes is not a whole number of 3073-byte records/);
    const bad = new Uint8Array(CIFAR10_RECORD_BYTES);
    bad[0] = 10;
    expect(codeAndMessage(() => loadCifar10([bad])).message).toMatch(/label 10 at record 0 is outside 0..9/);
  });
});

it('idxBytes fixture builds a parseable file', () => {
  expect(parseIdx(idxBytes('images', [1, 1, 1], [7])).data[0]).toBe(7);
});
