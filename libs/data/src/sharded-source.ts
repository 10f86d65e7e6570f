import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { badInput, Batch, ErrorCode, TrainyardError } from '@trainyard/common';
import type { DataBatchSource } from './batch-source';
import { DatasetIndex, decodeShard, ShardRef, SplitName } from './internal';
import { compileMap, oneHotInto } from './ops';
import { batchesPerEpoch, checkBatchFits, checkLabelOps, oneHotOf, PipelineSpec, validatePipelineSpec } from './pipeline-spec';
import { createRng, mixSeed } from './rng';

/**
 * A split in the internal form, on local disk: what the worker hands the training thread instead of
 * the pixels themselves (serialisable: it crosses the thread boundary as plain data).
 */
export interface ShardedSplit {
  kind: 'sharded';
  index: DatasetIndex;
  split: SplitName;
  /** The folder holding the version's files (train/shard-00000.bin ...). */
  dir: string;
}

export const isShardedSplit = (x: unknown): x is ShardedSplit => !!x && typeof x === 'object' && (x as { kind?: unknown }).kind === 'sharded';

export interface ShardedSourceOptions {
  seed: number;
  /** true: shard order + shuffle buffer, and the random map ops run (training). */
  shuffle: boolean;
  dropRemainder?: boolean;
  /** Reads one shard (default: from `dir` on disk). */
  readShard?: (ref: ShardRef) => Promise<Uint8Array>;
  /** Shards read ahead while the current one is consumed (default 1). */
  prefetch?: number;
  /**
   * false (default when reading from disk): each epoch runs in a prefetch thread that keeps up to
   * `prefetchBatches` batches ready, so preparing data overlaps with training (tf.data's prefetch).
   * true: everything on the calling thread.
   */
  inline?: boolean;
  /** Batches the prefetch thread may have ready ahead of the consumer (default 8). */
  prefetchBatches?: number;
}

/** Released feature arrays a source keeps for reuse. */
const MAX_POOLED = 4;
const EMPTY_X = new Float32Array(0);
const EMPTY_Y = new Int32Array(0);
/** Whether an array is the whole of its buffer (so it can be pooled, or transferred, on its own). */
const ownsBuffer = (a: Float32Array) => a.byteOffset === 0 && a.buffer.byteLength === a.byteLength;

/**
 * Reads a shard file into `buf` (its first `size` bytes, returned as a view). A file of another size
 * than the index says is read whole instead, so decodeShard reports the real length.
 */
async function readShardInto(file: string, buf: Uint8Array, size: number): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    if ((await fh.stat()).size !== size) {
      const whole = await fh.readFile();
      return new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength);
    }
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(buf, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return buf.subarray(0, at);
  } finally {
    await fh.close();
  }
}

/** Copies one sample (a native memcpy for same-typed arrays, without the subarray view per sample). */
function copySample(from: Uint8Array | Float32Array, at: number, to: Uint8Array | Float32Array, dst: number, n: number) {
  if (n >= 64 && from.constructor === to.constructor) {
    to.set(from.subarray(at, at + n), dst);
    return;
  }
  for (let i = 0; i < n; i++) to[dst + i] = from[at + i];
}

/** Fisher-Yates permutation of 0..n-1. */
function permutation(n: number, rng: ReturnType<typeof createRng>): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * Streams a split from its shards with bounded memory: (prefetch + 1) shards plus a shuffle buffer
 * of `bufferSize` samples, as tf.data and WebDataset do. In training, each pass visits the shards in a
 * seeded order and draws samples from the buffer at random; the order and the random map ops depend
 * only on (seed, pass), so epoch(e) is the same every time it is asked for and a resumed run is exact.
 */
/** A DataBatchSource whose epochs are read asynchronously (from disk or the store). */
export type StreamingBatchSource = Omit<DataBatchSource, 'epoch'> & {
  epoch(epochIndex: number): AsyncIterable<Batch>;
  /** Ends the prefetch thread (a long-lived process calls it when done with the source). */
  close(): Promise<void>;
  release(batch: Batch): void;
};

export function buildShardedBatchSource(ref: ShardedSplit, pipeline: PipelineSpec, opts: ShardedSourceOptions): StreamingBatchSource {
  const spec = validatePipelineSpec(pipeline);
  const { index } = ref;
  const split = index.splits[ref.split];
  if (!split || split.count < 1) throw badInput(`the dataset has no ${ref.split} samples`);
  const skip = spec.skip ?? 0;
  const count = Math.max(0, Math.min(split.count - skip, spec.take ?? Infinity));
  if (count < 1) throw badInput(`pipeline.skip ${skip} leaves no samples of ${split.count}`, { field: 'pipeline.skip' });
  const dropRemainder = opts.dropRemainder ?? spec.batch.dropRemainder;
  checkBatchFits({ ...spec, batch: { ...spec.batch, dropRemainder } }, count);

  const training = opts.shuffle;
  const program = compileMap(spec.map, [...index.sampleShape], index.dtype, { training, stats: { mean: split.mean, std: split.std } });
  const sampleIn = index.sampleShape[0] * index.sampleShape[1] * index.sampleShape[2];
  const sampleOut = program.outSize;
  const batchSize = spec.batch.size;
  const repeat = spec.repeat ?? 1;
  const perPass = batchesPerEpoch({ batch: spec.batch }, count, dropRemainder);
  const samplesPerPass = dropRemainder ? perPass * batchSize : count;
  const bufferSize = training && spec.shuffle && spec.shuffle.bufferSize > 1 ? Math.min(spec.shuffle.bufferSize, count) : 0;
  const prefetch = Math.max(0, opts.prefetch ?? 1);
  const Arr = index.dtype === 'float32' ? Float32Array : Uint8Array;

  // Targets: regression values (one per sample), or the OneHot op's rows; else class indices only.
  const regression = index.task === 'regression';
  const oneHot = oneHotOf(spec.map);
  if (oneHot) checkLabelOps(spec.map, { task: index.task, numClasses: index.classNames?.length });
  const targetWidth = regression ? 1 : oneHot ? oneHot.numClasses : 0;

  // Released batches' feature arrays, reused for later batches: a fresh 0.8 MB array per CIFAR batch
  // costs more (page faults, zeroing, GC) than the map itself. Bounded, so it never holds more than a
  // few batches beyond what the consumer has in flight.
  const xLength = batchSize * sampleOut;
  const pool: Float32Array[] = [];
  const takeX = () => pool.pop() ?? new Float32Array(xLength);
  const recycle = (x: Float32Array) => {
    if (x.length === xLength && ownsBuffer(x) && pool.length < MAX_POOLED && !pool.includes(x)) pool.push(x);
  };

  async function* pass(passIndex: number): AsyncGenerator<Batch> {
    const rng = createRng(mixSeed(opts.seed, passIndex));
    program.reseed(mixSeed(opts.seed, passIndex, 0x7a4f));
    const order = training ? permutation(split!.shards.length, rng) : split!.shards.map((_, i) => i);
    // From disk, this pass reads its shards into a ring of prefetch + 2 buffers (the shard being
    // consumed, those read ahead, one spare) rather than a fresh Buffer each: an 8 MB allocation per
    // shard kept the GC busy (a mark-compact every few shards). Shard k's slot is next written by
    // shard k + prefetch + 2, issued only once shard k + 1 is being consumed.
    const ring: Uint8Array[] = [];
    const read = (s: ShardRef, k: number): Promise<Uint8Array> => {
      if (opts.readShard) return opts.readShard(s);
      const slot = k % (prefetch + 2);
      if (!ring[slot] || ring[slot].length < s.sizeBytes) ring[slot] = new Uint8Array(s.sizeBytes);
      return readShardInto(path.join(ref.dir, s.name), ring[slot], s.sizeBytes);
    };
    const load = (k: number) => {
      const s = split!.shards[order[k]];
      const p = read(s, k).then((bytes) => decodeShard(bytes, index, s));
      p.catch(() => undefined); // a read-ahead dropped at the end of a pass must not surface as unhandled
      return p;
    };
    const ahead: Array<ReturnType<typeof load>> = [];
    for (let k = 0; k < Math.min(prefetch + 1, order.length); k++) ahead.push(load(k));
    // The buffer holds copies (never views into shards), so a shard is freed once it is consumed.
    const buf = new Arr(bufferSize * sampleIn);
    const bufLabels = regression ? new Float32Array(bufferSize) : new Int32Array(bufferSize);
    let fill = 0;
    let emitted = 0;
    let seen = 0;
    // One batch's arrays, filled in place and handed over whole (they may be transferred to the
    // training thread, so each batch gets its own). They are taken when the batch's first sample
    // arrives, so an array the consumer released meanwhile is the one reused.
    let x: Float32Array = EMPTY_X;
    let y: Int32Array = EMPTY_Y;
    let values: Float32Array | undefined;
    let n = 0;
    const emit = (src: ArrayLike<number>, off: number, label: number): Batch | undefined => {
      if (n === 0) {
        x = takeX();
        y = new Int32Array(batchSize);
        if (regression) values = new Float32Array(batchSize);
      }
      program.run(src, off, x, n * sampleOut);
      if (values) values[n] = label;
      else y[n] = label;
      n++;
      emitted++;
      if (n === batchSize || (emitted === samplesPerPass && !dropRemainder)) {
        const full = n === batchSize;
        const b: Batch = { x: full ? x : x.slice(0, n * sampleOut), xShape: [n, ...program.outShape], y: full ? y : y.slice(0, n) };
        if (values) b.targets = full ? values : values.slice(0, n);
        else if (oneHot) b.targets = oneHotInto(oneHot, b.y, n, new Float32Array(n * targetWidth));
        if (!full) recycle(x); // the short last batch went out as a copy
        n = 0;
        return b;
      }
      return undefined;
    };
    for (let k = 0; k < order.length && emitted < samplesPerPass; k++) {
      const shard = await ahead.shift()!;
      if (k + prefetch + 1 < order.length) ahead.push(load(k + prefetch + 1));
      const { samples, labels } = shard;
      for (let i = 0; i < shard.count && emitted < samplesPerPass; i++) {
        const ordinal = seen++;
        if (ordinal < skip || ordinal >= skip + count) continue;
        const label = labels[i];
        if (bufferSize === 0) {
          const b = emit(samples, i * sampleIn, label);
          if (b) yield b;
          continue;
        }
        if (fill < bufferSize) {
          copySample(samples, i * sampleIn, buf, fill * sampleIn, sampleIn);
          bufLabels[fill++] = label;
          continue;
        }
        const j = rng.int(bufferSize);
        const b = emit(buf, j * sampleIn, bufLabels[j]);
        copySample(samples, i * sampleIn, buf, j * sampleIn, sampleIn);
        bufLabels[j] = label;
        if (b) yield b;
      }
    }
    ahead.length = 0;
    while (fill > 0 && emitted < samplesPerPass) {
      const j = rng.int(fill);
      const b = emit(buf, j * sampleIn, bufLabels[j]);
      fill--;
      buf.copyWithin(j * sampleIn, fill * sampleIn, (fill + 1) * sampleIn);
      bufLabels[j] = bufLabels[fill];
      if (b) yield b;
    }
  }

  const threaded = !opts.inline && !opts.readShard;
  // The thread starts now (unref'd), so its start-up (a fresh V8 isolate loading this lib) overlaps
  // with building the model instead of delaying the first batch.
  let thread: PrefetchThread | undefined = threaded ? new PrefetchThread({ ref, pipeline, opts: { seed: opts.seed, shuffle: opts.shuffle, dropRemainder: opts.dropRemainder } }).warm() : undefined;
  return {
    batchesPerEpoch: perPass * repeat,
    sampleShape: program.outShape,
    samplesPerEpoch: samplesPerPass * repeat,
    async *epoch(e: number) {
      if (!Number.isInteger(e) || e < 0) throw badInput(`epoch must be a non-negative integer, got ${e}`);
      if (threaded) {
        thread ??= new PrefetchThread({ ref, pipeline, opts: { seed: opts.seed, shuffle: opts.shuffle, dropRemainder: opts.dropRemainder } });
        yield* thread.epoch(e, opts.prefetchBatches ?? 8);
        return;
      }
      for (let r = 0; r < repeat; r++) yield* pass(e * repeat + r);
    },
    release(batch: Batch) {
      if (thread) thread.recycle(batch.x);
      else if (!threaded) recycle(batch.x);
    },
    async close() {
      const t = thread;
      thread = undefined;
      await t?.close();
    },
  };
}

const PREFETCH_WORKER = path.join(__dirname, 'prefetch-worker.js');

type FromThread = { type: 'batch' | 'end' | 'error'; epoch: number; message?: string; code?: string; details?: Record<string, unknown> } & Partial<Batch>;

/**
 * A prefetch thread serving one source, started on the first epoch and kept for the next ones
 * (unref'd: it never keeps the process alive). Each epoch is the same batches, in the same order, as
 * inline (the thread runs the same deterministic source), through a bounded queue of `depth` batches.
 */
class PrefetchThread {
  private worker?: Worker;
  private ready: Batch[] = [];
  private done = false;
  private failure?: Error;
  private wake?: () => void;
  private current = -1;

  constructor(private readonly data: { ref: ShardedSplit; pipeline: PipelineSpec; opts: { seed: number; shuffle: boolean; dropRemainder?: boolean } }) {}

  private poke() {
    this.wake?.();
    this.wake = undefined;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.current = -1;
    this.done = true;
    await w?.terminate();
  }

  /** Hands a released batch's feature array back to the thread for reuse (transferred: it is the thread's again). */
  recycle(x: Float32Array): void {
    if (!this.worker || !ownsBuffer(x) || x.byteLength === 0) return;
    this.worker.postMessage({ type: 'recycle', x }, [x.buffer as ArrayBuffer]);
  }

  /** Starts the thread ahead of the first epoch (it stays unref'd until an epoch is consumed). */
  warm(): this {
    this.worker ??= this.start();
    return this;
  }

  private start(): Worker {
    const w = new Worker(PREFETCH_WORKER, { workerData: this.data });
    w.unref();
    w.on('message', (m: FromThread) => {
      if (m.epoch !== this.current) return; // a batch of an epoch the consumer abandoned
      if (m.type === 'batch') this.ready.push({ x: m.x!, xShape: m.xShape!, y: m.y!, ...(m.targets ? { targets: m.targets } : {}) });
      else if (m.type === 'end') this.done = true;
      else this.failure = m.code ? new TrainyardError(m.code as ErrorCode, m.message!, m.details) : new Error(m.message);
      this.poke();
    });
    w.on('error', (e) => {
      this.failure = e;
      this.worker = undefined;
      this.poke();
    });
    w.on('exit', () => {
      if (this.worker === w) this.worker = undefined;
      if (!this.done && !this.failure) this.failure = new Error('the data prefetch thread exited early');
      this.poke();
    });
    return w;
  }

  async *epoch(epoch: number, depth: number): AsyncGenerator<Batch> {
    const w = (this.worker ??= this.start());
    w.ref(); // keep the process alive while an epoch is being consumed
    this.current = epoch;
    this.ready = [];
    this.done = false;
    this.failure = undefined;
    w.postMessage({ type: 'epoch', epoch, credits: depth });
    let finished = false;
    try {
      for (;;) {
        if (this.ready.length > 0) {
          w.postMessage({ type: 'credit', epoch, n: 1 });
          yield this.ready.shift()!;
          continue;
        }
        if (this.failure) throw this.failure;
        if (this.done) {
          finished = true;
          return;
        }
        await new Promise<void>((r) => (this.wake = r));
      }
    } finally {
      // Abandoned mid-epoch (a resume skipping ahead stops early, an error): the thread's state is
      // unknown, so end it; the next epoch starts a fresh one.
      if (!finished) {
        this.current = -1;
        this.worker = undefined;
        await w.terminate();
      } else {
        w.unref();
      }
    }
  }
}
