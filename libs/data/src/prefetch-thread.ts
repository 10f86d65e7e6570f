/**
 * The data prefetch thread's main: for each epoch the parent asks for, runs that epoch of a sharded
 * batch source (read, shuffle, map, batch) and posts each batch, transferring its arrays, never more
 * than the credits the parent granted ahead (a bounded queue). Started by PrefetchThread in
 * sharded-source.ts, and kept across epochs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Batch } from '@trainyard/common';
import type { PipelineSpec } from './pipeline-spec';
import { buildShardedBatchSource, ShardedSplit } from './sharded-source';

interface Data {
  ref: ShardedSplit;
  pipeline: PipelineSpec;
  opts: { seed: number; shuffle: boolean; dropRemainder?: boolean };
}
type FromParent = { type: 'epoch'; epoch: number; credits: number } | { type: 'credit'; epoch: number; n: number } | { type: 'recycle'; x: Float32Array };

const port = parentPort!;
const { ref, pipeline, opts } = workerData as Data;
const src = buildShardedBatchSource(ref, pipeline, { ...opts, inline: true });
let epoch = -1;
let credits = 0;
let wake: (() => void) | undefined;
let queue: Promise<void> = Promise.resolve();

port.on('message', (m: FromParent) => {
  if (m.type === 'recycle') {
    src.release({ x: m.x } as Batch); // only the feature array is reused
    return;
  }
  if (m.type === 'epoch') {
    epoch = m.epoch;
    credits = m.credits;
    const e = m.epoch;
    queue = queue.then(() => run(e));
  } else if (m.epoch === epoch) {
    credits += m.n;
  }
  wake?.();
  wake = undefined;
});

async function run(e: number) {
  try {
    for await (const b of src.epoch(e)) {
      while (credits === 0 && epoch === e) await new Promise<void>((r) => (wake = r));
      if (epoch !== e) return;
      credits--;
      const transfer = [b.x.buffer as ArrayBuffer, b.y.buffer as ArrayBuffer];
      if (b.targets) transfer.push(b.targets.buffer as ArrayBuffer);
      port.postMessage({ type: 'batch', epoch: e, x: b.x, xShape: b.xShape, y: b.y, targets: b.targets }, transfer);
    }
    port.postMessage({ type: 'end', epoch: e });
  } catch (err) {
    const x = err as Error & { code?: string; details?: unknown };
    port.postMessage({ type: 'error', epoch: e, message: x.message, code: x.code, details: x.details });
  }
}
