/**
 * The internal form every format ingests into, and the trainer streams from: per split, sample shards
 * plus one JSON index (index.json) describing them.
 *
 * A shard file holds `count` samples: first `count` labels (4 bytes each, little-endian: int32 class
 * indices, or float32 targets for regression), then `count` samples of `sampleBytes` each (uint8 HWC
 * pixels for images, float32 features for tables). Samples are spread over shards by a seeded draw at
 * ingest, so every shard holds a mix of classes and "shard order + shuffle buffer" mixes the whole set.
 */
export const INDEX_FORMAT_VERSION = 1;
export const INDEX_FILE = 'index.json';

export type SplitName = 'train' | 'test' | 'validation';
export const SPLITS: SplitName[] = ['train', 'test', 'validation'];
export type SampleDtypeName = 'uint8' | 'float32';
export type Task = 'classification' | 'regression';

export interface ShardRef {
  /** Relative to the version's folder: train/shard-00003.bin. */
  name: string;
  count: number;
  sizeBytes: number;
}

export interface SplitIndex {
  count: number;
  shards: ShardRef[];
  /** Samples per class (classification only). */
  histogram: number[];
  /** Per channel (per feature for tables), in the stored units (0-255 for images). */
  mean: number[];
  std: number[];
  /** Regression only: the target's mean and std. */
  targetMean?: number;
  targetStd?: number;
}

export interface DatasetIndex {
  formatVersion: number;
  /** The format it was ingested from: idx, cifar10, ... */
  source: string;
  task: Task;
  dtype: SampleDtypeName;
  /** [height, width, channels]; a table is [1, 1, features]. */
  sampleShape: [number, number, number];
  /** Classification: one name per class index. Regression: []. */
  classNames: string[];
  /** Tables: the feature columns, in sample order. */
  featureNames?: string[];
  /** Where test/validation came from: the source, or a seeded draw. */
  splitting: { testFrom: 'source' | 'seeded'; testFraction?: number; validationFraction?: number; seed: number };
  splits: Partial<Record<SplitName, SplitIndex>> & { train: SplitIndex };
  /** Inputs ingest skipped (corrupt images with onCorrupt: 'skip'), with a few examples. */
  skipped: { count: number; examples: string[] };
  /** Format-specific facts worth keeping (original image sizes, label column...). */
  notes: Record<string, unknown>;
}

export const sampleBytesOf = (index: Pick<DatasetIndex, 'dtype' | 'sampleShape'>) =>
  index.sampleShape[0] * index.sampleShape[1] * index.sampleShape[2] * (index.dtype === 'float32' ? 4 : 1);

/** The labels and samples of one shard file, as views into its bytes. */
export function decodeShard(bytes: Uint8Array, index: Pick<DatasetIndex, 'dtype' | 'sampleShape' | 'task'>, shard: ShardRef) {
  const sampleBytes = sampleBytesOf(index);
  const expected = shard.count * (4 + sampleBytes);
  if (bytes.length !== expected) {
    throw new Error(`shard ${shard.name}: ${bytes.length} bytes, expected ${expected} (${shard.count} samples)`);
  }
  // Copy into aligned buffers when the view is not 4-byte aligned.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  const labelBuf = aligned.buffer.slice(aligned.byteOffset, aligned.byteOffset + shard.count * 4);
  const labels = index.task === 'regression' ? new Float32Array(labelBuf) : new Int32Array(labelBuf);
  const body = aligned.subarray(shard.count * 4);
  const samples =
    index.dtype === 'float32'
      ? new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength))
      : body;
  return { labels, samples, count: shard.count };
}
