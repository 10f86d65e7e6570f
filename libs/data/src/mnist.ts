import { badInput, invalidFile } from '@trainyard/common';
import type { IdxFileReport } from './idx-validator';
import { parseIdx } from './idx';

/** One split held in memory: uint8 pixels, HWC per sample, and uint8 labels. */
export interface ImageSplit {
  /** count * h * w * c bytes, sample-major, each sample HWC. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  shape: [number, number, number];
}

export interface ImageDataset {
  train: ImageSplit;
  test: ImageSplit;
  numClasses: number;
}

export interface MnistFileReports {
  trainImages: IdxFileReport;
  trainLabels: IdxFileReport;
  testImages: IdxFileReport;
  testLabels: IdxFileReport;
}

export interface MnistSummary {
  imageShape: [number, number, 1];
  numClasses: number;
  trainCount: number;
  testCount: number;
  /** Samples per class in each split. */
  classHistogram: { train: number[]; test: number[] };
}

/** Cross-file checks once all four uploads validated: counts agree per split, image sizes agree. */
export function checkMnistConsistency(files: MnistFileReports): MnistSummary {
  const { trainImages, trainLabels, testImages, testLabels } = files;
  for (const [images, labels, split] of [
    [trainImages, trainLabels, 'train'],
    [testImages, testLabels, 'test'],
  ] as const) {
    if (images.count !== labels.count) {
      throw invalidFile(`${split}: ${images.count} images but ${labels.count} labels`, {
        problem: 'count-mismatch',
        split,
        images: images.count,
        labels: labels.count,
      });
    }
  }
  const [, h, w] = trainImages.dims;
  const [, th, tw] = testImages.dims;
  if (h !== th || w !== tw) {
    throw invalidFile(`train images are ${h}x${w} but test images are ${th}x${tw}`, {
      problem: 'shape-mismatch',
      train: [h, w],
      test: [th, tw],
    });
  }
  const numClasses = Math.max(trainLabels.numClasses ?? 10, testLabels.numClasses ?? 10);
  const pad = (hist: number[] | undefined) => Array.from({ length: numClasses }, (_, i) => hist?.[i] ?? 0);
  return {
    imageShape: [h, w, 1],
    numClasses,
    trainCount: trainImages.count,
    testCount: testImages.count,
    classHistogram: { train: pad(trainLabels.classHistogram), test: pad(testLabels.classHistogram) },
  };
}

export interface MnistBuffers {
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}

function split(imagesBuf: Uint8Array, labelsBuf: Uint8Array, name: string, numClasses: number): ImageSplit {
  const images = parseIdx(imagesBuf, 'images', `${name}-images`);
  const labels = parseIdx(labelsBuf, 'labels', `${name}-labels`);
  if (images.dims[0] !== labels.dims[0]) {
    throw invalidFile(`${name}: ${images.dims[0]} images but ${labels.dims[0]} labels`, { problem: 'count-mismatch', split: name });
  }
  const l = labels.data;
  for (let i = 0; i < l.length; i++) {
    if (l[i] >= numClasses) {
      throw invalidFile(`${name}-labels: label ${l[i]} at index ${i} is outside 0..${numClasses - 1}`, {
        role: `${name}-labels`,
        problem: 'label-range',
        index: i,
        value: l[i],
      });
    }
  }
  return { images: images.data, labels: l, count: images.dims[0], shape: [images.dims[1], images.dims[2], 1] };
}

/** Parses the four MNIST idx files (raw or gzipped) for training. */
export function loadMnist(files: MnistBuffers, opts: { numClasses?: number } = {}): ImageDataset {
  const numClasses = opts.numClasses ?? 10;
  const train = split(files.trainImages, files.trainLabels, 'train', numClasses);
  const test = split(files.testImages, files.testLabels, 'test', numClasses);
  if (train.shape[0] !== test.shape[0] || train.shape[1] !== test.shape[1]) {
    throw invalidFile(`train images are ${train.shape[0]}x${train.shape[1]} but test images are ${test.shape[0]}x${test.shape[1]}`, {
      problem: 'shape-mismatch',
    });
  }
  return { train, test, numClasses };
}

/** CIFAR-10 binary version: each record is 1 label byte then 3072 bytes, the 32x32 red, green, blue planes (CHW). */
export const CIFAR10_RECORD_BYTES = 1 + 3 * 32 * 32;

/**
 * Parses CIFAR-10 binary batches (data_batch_1.bin ... or test_batch.bin) into one split with HWC
 * images, the layout the pipeline ops expect.
 */
export function loadCifar10(batches: Uint8Array[], opts: { role?: string } = {}): ImageSplit {
  if (batches.length === 0) throw badInput('loadCifar10 needs at least one batch file');
  const role = opts.role ?? 'cifar10';
  let count = 0;
  batches.forEach((b, i) => {
    if (b.length === 0 || b.length % CIFAR10_RECORD_BYTES !== 0) {
      throw invalidFile(`${role} batch ${i}: ${b.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte records`, {
        role,
        problem: 'truncated',
        batch: i,
        actualBytes: b.length,
      });
    }
    count += b.length / CIFAR10_RECORD_BYTES;
  });
  const plane = 32 * 32;
  const images = new Uint8Array(count * 3 * plane);
  const labels = new Uint8Array(count);
  let n = 0;
  batches.forEach((b, bi) => {
    for (let r = 0; r < b.length; r += CIFAR10_RECORD_BYTES, n++) {
      const label = b[r];
      if (label > 9) {
        throw invalidFile(`${role} batch ${bi}: label ${label} at record ${r / CIFAR10_RECORD_BYTES} is outside 0..9`, {
          role,
          problem: 'label-range',
          batch: bi,
          index: r / CIFAR10_RECORD_BYTES,
          value: label,
        });
      }
      labels[n] = label;
      const src = r + 1;
      const dst = n * 3 * plane;
      for (let p = 0; p < plane; p++) {
        images[dst + 3 * p] = b[src + p];
        images[dst + 3 * p + 1] = b[src + plane + p];
        images[dst + 3 * p + 2] = b[src + 2 * plane + p];
      }
    }
  });
  return { images, labels, count, shape: [32, 32, 3] };
}
