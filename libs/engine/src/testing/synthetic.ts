/**
 * Tiny deterministic datasets for tests and benchmarks. Each class c is a bright square at a
 * class-specific position on a noisy background, so a few steps of training visibly lower the loss.
 */
import type { Batch, BatchSource } from '@trainyard/common';

/** Small seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RawImages {
  /** count * h * w * c bytes, HWC per image. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  shape: [number, number, number];
}

export function syntheticImages(count: number, shape: [number, number, number], numClasses: number, seed = 1): RawImages {
  const [h, w, c] = shape;
  const rand = prng(seed);
  const images = new Uint8Array(count * h * w * c);
  const labels = new Uint8Array(count);
  const side = Math.max(2, Math.floor(Math.min(h, w) / 4));
  for (let i = 0; i < count; i++) {
    const label = i % numClasses;
    labels[i] = label;
    const top = (label * 3) % (h - side);
    const left = (label * 7) % (w - side);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const on = y >= top && y < top + side && x >= left && x < left + side;
        for (let k = 0; k < c; k++) images[((i * h + y) * w + x) * c + k] = on ? 200 + rand() * 55 : rand() * 60;
      }
    }
  }
  return { images, labels, count, shape };
}

export interface TestBatchOptions {
  seed: number;
  batchSize: number;
  dropRemainder?: boolean;
  /** 0: no shuffle. Any other value: a full seeded shuffle per epoch (seed + epoch). */
  shuffleBufferSize?: number;
}

/**
 * A stand-in for @trainyard/data's buildBatchSource with the same signature: scales bytes to [0, 1),
 * shuffles with seed + epoch, channels last. The pipeline spec is ignored.
 */
export function buildBatchSource(raw: RawImages, _pipeline: unknown, opts: TestBatchOptions): BatchSource {
  const { count, shape } = raw;
  const per = shape[0] * shape[1] * shape[2];
  const batchesPerEpoch = opts.dropRemainder ? Math.floor(count / opts.batchSize) : Math.ceil(count / opts.batchSize);
  return {
    batchesPerEpoch,
    *epoch(e: number): Iterable<Batch> {
      const order = Array.from({ length: count }, (_, i) => i);
      if (opts.shuffleBufferSize !== 0) {
        const rand = prng(opts.seed + e);
        for (let i = count - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      for (let b = 0; b < batchesPerEpoch; b++) {
        const idx = order.slice(b * opts.batchSize, (b + 1) * opts.batchSize);
        const x = new Float32Array(idx.length * per);
        idx.forEach((src, row) => {
          for (let k = 0; k < per; k++) x[row * per + k] = raw.images[src * per + k] / 255;
        });
        yield { x, xShape: [idx.length, ...shape], y: Int32Array.from(idx, (i) => raw.labels[i]) };
      }
    },
  };
}

/** A BatchSource over synthetic images, for Trainer tests. */
export function syntheticSource(opts: {
  batches: number;
  batchSize: number;
  numClasses?: number;
  shape?: [number, number, number];
  seed?: number;
}): BatchSource {
  const numClasses = opts.numClasses ?? 10;
  const raw = syntheticImages(opts.batches * opts.batchSize, opts.shape ?? [32, 32, 1], numClasses, opts.seed ?? 1);
  return buildBatchSource(raw, null, { seed: opts.seed ?? 1, batchSize: opts.batchSize, dropRemainder: true });
}
