import { badInput, Batch, BatchSource } from '@trainyard/common';
import { shuffleOrder } from './dataset';
import { ImageSplit } from './mnist';
import { compileMap, oneHotInto } from './ops';
import { batchesPerEpoch, checkBatchFits, oneHotOf, PipelineSpec, validatePipelineSpec } from './pipeline-spec';
import { createRng, mixSeed } from './rng';
import { buildShardedBatchSource, isShardedSplit, ShardedSplit, StreamingBatchSource } from './sharded-source';

export interface BatchSourceOptions {
  /** Seeds the shuffle; epoch e of pass r uses mixSeed(seed, e * repeat + r). */
  seed: number;
  /** false: samples in file order (evaluation), whatever the spec's shuffle says. */
  shuffle: boolean;
  /** Overrides the spec's drop_remainder (evaluation usually wants every sample). */
  dropRemainder?: boolean;
  /**
   * true: every batch reuses the same x/y arrays (valid until the next batch is requested), saving an
   * allocation per batch. Default false: each batch owns its arrays.
   */
  reuseBuffers?: boolean;
}

/** The @trainyard/common BatchSource, plus what the engine needs to build the model. */
export interface DataBatchSource extends BatchSource {
  /** One sample's shape after the map ops: [h, w, c], or [c, h, w] after HWC2CHW. */
  sampleShape: number[];
  /** Samples one epoch visits (count * repeat, less a dropped remainder). */
  samplesPerEpoch: number;
  epoch(epochIndex: number): Iterable<Batch>;
}

/**
 * Turns an in-memory split into the batches the engine trains on: the map ops (compiled once),
 * MindSpore's shuffle(buffer_size) over sample indices, batch, repeat. `epoch(e)` depends only on
 * (seed, e), so a resumed run re-creates epoch e and skips the batches it already trained on; each
 * epoch (and each repeat pass within it) shuffles differently. Batches never span two passes.
 */
export function buildBatchSource(split: ImageSplit, pipeline: PipelineSpec, opts: BatchSourceOptions): DataBatchSource;
export function buildBatchSource(split: ShardedSplit, pipeline: PipelineSpec, opts: BatchSourceOptions): StreamingBatchSource;
export function buildBatchSource(split: ImageSplit | ShardedSplit, pipeline: PipelineSpec, opts: BatchSourceOptions): DataBatchSource | StreamingBatchSource;
export function buildBatchSource(split: ImageSplit | ShardedSplit, pipeline: PipelineSpec, opts: BatchSourceOptions): DataBatchSource | StreamingBatchSource {
  if (isShardedSplit(split)) return buildShardedBatchSource(split, pipeline, { seed: opts.seed, shuffle: opts.shuffle, dropRemainder: opts.dropRemainder });
  return buildInMemory(split, pipeline, opts);
}

function buildInMemory(split: ImageSplit, pipeline: PipelineSpec, opts: BatchSourceOptions): DataBatchSource {
  const spec = validatePipelineSpec(pipeline);
  const { count, shape } = split;
  if (!Number.isInteger(count) || count < 1) throw badInput(`the dataset has no samples (count ${count})`);
  const sampleIn = shape[0] * shape[1] * shape[2];
  if (split.images.length !== count * sampleIn) {
    throw badInput(`images hold ${split.images.length} bytes, expected ${count} x ${shape.join('x')} = ${count * sampleIn}`);
  }
  if (split.labels.length !== count) throw badInput(`${split.labels.length} labels for ${count} images`);
  const dropRemainder = opts.dropRemainder ?? spec.batch.dropRemainder;
  checkBatchFits({ ...spec, batch: { ...spec.batch, dropRemainder } }, count);

  const program = compileMap(spec.map, [...shape], 'uint8', { training: opts.shuffle });
  const sampleOut = program.outSize;
  const batchSize = spec.batch.size;
  const repeat = spec.repeat ?? 1;
  const bufferSize = opts.shuffle && spec.shuffle && spec.shuffle.bufferSize > 1 ? spec.shuffle.bufferSize : 0;
  const perPass = batchesPerEpoch({ batch: spec.batch }, count, dropRemainder);
  const samplesPerPass = dropRemainder ? perPass * batchSize : count;
  const { images, labels } = split;
  const sampleShape = program.outShape;
  const oneHot = oneHotOf(spec.map);

  let sharedX: Float32Array | undefined;
  let sharedY: Int32Array | undefined;
  const arrays = (n: number): [Float32Array, Int32Array] => {
    if (!opts.reuseBuffers) return [new Float32Array(n * sampleOut), new Int32Array(n)];
    sharedX ??= new Float32Array(batchSize * sampleOut);
    sharedY ??= new Int32Array(batchSize);
    return n === batchSize ? [sharedX, sharedY] : [sharedX.subarray(0, n * sampleOut), sharedY.subarray(0, n)];
  };

  function* pass(passIndex: number): Generator<Batch> {
    const order = bufferSize > 0 ? shuffleOrder(count, bufferSize, createRng(mixSeed(opts.seed, passIndex))) : undefined;
    program.reseed(mixSeed(opts.seed, passIndex, 0x7a4f));
    for (let start = 0; start < samplesPerPass; start += batchSize) {
      const n = Math.min(batchSize, samplesPerPass - start);
      const [x, y] = arrays(n);
      for (let i = 0; i < n; i++) {
        const s = order ? order[start + i] : start + i;
        program.run(images, s * sampleIn, x, i * sampleOut);
        y[i] = labels[s];
      }
      yield oneHot ? { x, xShape: [n, ...sampleShape], y, targets: oneHotInto(oneHot, y, n, new Float32Array(n * oneHot.numClasses)) } : { x, xShape: [n, ...sampleShape], y };
    }
  }

  return {
    batchesPerEpoch: perPass * repeat,
    sampleShape,
    samplesPerEpoch: samplesPerPass * repeat,
    *epoch(e: number) {
      if (!Number.isInteger(e) || e < 0) throw badInput(`epoch must be a non-negative integer, got ${e}`);
      for (let r = 0; r < repeat; r++) yield* pass(e * repeat + r);
    },
  };
}
