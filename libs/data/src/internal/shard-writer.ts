import { createRng, mixSeed, Rng } from '../rng';
import { DatasetIndex, SampleDtypeName, ShardRef, SplitIndex, SplitName, Task } from './dataset-index';

/** Where ingest writes: names are relative to the version's folder (train/shard-00000.bin, index.json). */
export interface ShardSink {
  put(name: string, bytes: Uint8Array): Promise<void>;
}

export interface SplitPlan {
  /** The source has its own test split (idx, CIFAR, ImageFolder with test/): no seeded test draw. */
  sourceHasTest: boolean;
  /** Share of train drawn into test when the source has none. Default 0.1. */
  testFraction: number;
  /** Share of train drawn into validation. Default 0. */
  validationFraction: number;
  seed: number;
}

export interface ShardWriterOptions {
  dtype: SampleDtypeName;
  sampleShape: [number, number, number];
  task: Task;
  /** Classification: number of classes (labels are checked against it). */
  numClasses: number;
  split: SplitPlan;
  /** Target bytes per shard (default 8 MiB). */
  shardBytes?: number;
  /** Open shards per split that samples are drawn into (default 4): mixes classes across shards. */
  bins?: number;
  log?: (msg: string) => void;
}

class Bin {
  labels: Uint8Array;
  samples: Uint8Array;
  n = 0;
  constructor(
    readonly capacity: number,
    readonly sampleBytes: number,
  ) {
    this.labels = new Uint8Array(capacity * 4);
    this.samples = new Uint8Array(capacity * sampleBytes);
  }
}

class SplitState {
  count = 0;
  shards: ShardRef[] = [];
  histogram: number[];
  sum: Float64Array;
  sumSq: Float64Array;
  pixels = 0;
  targetSum = 0;
  targetSumSq = 0;
  bins: Bin[];
  constructor(
    readonly name: SplitName,
    numClasses: number,
    channels: number,
    bins: number,
    capacity: number,
    sampleBytes: number,
  ) {
    this.histogram = new Array(numClasses).fill(0);
    this.sum = new Float64Array(channels);
    this.sumSq = new Float64Array(channels);
    this.bins = Array.from({ length: bins }, () => new Bin(capacity, sampleBytes));
  }
}

/**
 * Takes samples one at a time (bounded memory: bins x shardBytes per split), draws the seeded
 * test/validation splits, spreads samples over shards, keeps the statistics, and writes index.json last.
 */
export class ShardWriter {
  private readonly sampleBytes: number;
  private readonly channels: number;
  private readonly capacity: number;
  private readonly splits = new Map<SplitName, SplitState>();
  private readonly splitRng: Rng;
  private readonly binRng: Rng;
  private readonly labelView = new DataView(new ArrayBuffer(4));
  private seq = 0;
  private pending: Promise<void> = Promise.resolve();
  private finished = false;

  constructor(
    private readonly sink: ShardSink,
    private readonly opts: ShardWriterOptions,
  ) {
    const [h, w, c] = opts.sampleShape;
    this.channels = c;
    this.sampleBytes = h * w * c * (opts.dtype === 'float32' ? 4 : 1);
    this.capacity = Math.max(1, Math.floor((opts.shardBytes ?? 8 << 20) / (this.sampleBytes + 4)));
    this.splitRng = createRng(mixSeed(opts.split.seed, 0x5911));
    this.binRng = createRng(mixSeed(opts.split.seed, 0xb175));
  }

  /** Where a train sample of the source goes: train, or a seeded draw into test / validation. */
  private route(split: 'train' | 'test'): SplitName {
    if (split === 'test') return 'test';
    const { sourceHasTest, testFraction, validationFraction } = this.opts.split;
    const u = this.splitRng.next();
    let edge = 0;
    if (!sourceHasTest) {
      edge += testFraction;
      if (u < edge) return 'test';
    }
    edge += validationFraction;
    if (u < edge) return 'validation';
    return 'train';
  }

  private state(name: SplitName): SplitState {
    let s = this.splits.get(name);
    if (!s) {
      s = new SplitState(name, this.opts.task === 'classification' ? this.opts.numClasses : 0, this.channels, this.opts.bins ?? 4, this.capacity, this.sampleBytes);
      this.splits.set(name, s);
    }
    return s;
  }

  /**
   * Adds one sample. `label`: a class index (classification) or a target (regression). `sample`: uint8
   * HWC pixels or float32 features, sampleShape elements. Returns a promise only when a shard had to be
   * written (await it to keep memory bounded).
   */
  async add(sourceSplit: 'train' | 'test', label: number, sample: Uint8Array | Float32Array): Promise<void> {
    if (this.finished) throw new Error('ShardWriter: add after finish');
    const s = this.state(this.route(sourceSplit));
    const { task, numClasses } = this.opts;
    if (task === 'classification') {
      if (!Number.isInteger(label) || label < 0 || label >= numClasses) throw new Error(`label ${label} is outside 0..${numClasses - 1}`);
      s.histogram[label]++;
      this.labelView.setInt32(0, label, true);
    } else {
      s.targetSum += label;
      s.targetSumSq += label * label;
      this.labelView.setFloat32(0, label, true);
    }
    const c = this.channels;
    for (let k = 0; k < c; k++) {
      let sum = 0;
      let sq = 0;
      for (let i = k; i < sample.length; i += c) {
        const v = sample[i];
        sum += v;
        sq += v * v;
      }
      s.sum[k] += sum;
      s.sumSq[k] += sq;
    }
    s.pixels += sample.length / c;
    s.count++;

    const bin = s.bins[this.binRng.int(s.bins.length)];
    bin.labels.set(new Uint8Array(this.labelView.buffer), bin.n * 4);
    const bytes = sample instanceof Float32Array ? new Uint8Array(sample.buffer, sample.byteOffset, sample.byteLength) : sample;
    if (bytes.length !== this.sampleBytes) throw new Error(`sample of ${bytes.length} bytes, expected ${this.sampleBytes}`);
    bin.samples.set(bytes, bin.n * this.sampleBytes);
    bin.n++;
    if (bin.n === bin.capacity) await this.flush(s, bin);
  }

  private async flush(s: SplitState, bin: Bin) {
    if (bin.n === 0) return;
    const n = bin.n;
    const out = new Uint8Array(n * (4 + this.sampleBytes));
    out.set(bin.labels.subarray(0, n * 4), 0);
    out.set(bin.samples.subarray(0, n * this.sampleBytes), n * 4);
    bin.n = 0;
    const name = `${s.name}/shard-${String(this.seq++).padStart(5, '0')}.bin`;
    s.shards.push({ name, count: n, sizeBytes: out.length });
    await this.sink.put(name, out);
    this.opts.log?.(`wrote ${name} (${n} samples)`);
  }

  get counts(): Record<string, number> {
    return Object.fromEntries([...this.splits].map(([k, v]) => [k, v.count]));
  }

  /** Flushes the open shards and returns the per-split part of the index (no index.json written yet). */
  async finish(): Promise<DatasetIndex['splits']> {
    this.finished = true;
    await this.pending;
    const out: Partial<Record<SplitName, SplitIndex>> = {};
    for (const [name, s] of this.splits) {
      for (const bin of s.bins) await this.flush(s, bin);
      const mean = Array.from(s.sum, (v) => (s.pixels ? v / s.pixels : 0));
      const std = Array.from(s.sumSq, (v, k) => (s.pixels ? Math.sqrt(Math.max(0, v / s.pixels - mean[k] * mean[k])) : 0));
      out[name] = {
        count: s.count,
        shards: s.shards,
        histogram: s.histogram,
        mean,
        std,
        ...(this.opts.task === 'regression'
          ? { targetMean: s.targetSum / s.count, targetStd: Math.sqrt(Math.max(0, s.targetSumSq / s.count - (s.targetSum / s.count) ** 2)) }
          : {}),
      };
    }
    if (!out.train) throw new Error('no training samples');
    return out as DatasetIndex['splits'];
  }
}
