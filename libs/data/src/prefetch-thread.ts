/**
 * The data prefetch thread's main: runs one epoch of a sharded batch source (read, shuffle, map,
 * batch) and posts each batch to the parent, transferring its arrays, never more than the credits
 * the parent granted ahead (a bounded queue). Started by prefetched() in sharded-source.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PipelineSpec } from './pipeline-spec';
import { buildShardedBatchSource, ShardedSplit } from './sharded-source';

interface Data {
  ref: ShardedSplit;
  pipeline: PipelineSpec;
  opts: { seed: number; shuffle: boolean; dropRemainder?: boolean };
  epoch: number;
}

const port = parentPort!;
const { ref, pipeline, opts, epoch } = workerData as Data;
let credits = 0;
let wake: (() => void) | undefined;
port.on('message', (m: { type: 'credit'; n: number }) => {
  if (m.type === 'credit') {
    credits += m.n;
    wake?.();
    wake = undefined;
  }
});

async function main() {
  const src = buildShardedBatchSource(ref, pipeline, { ...opts, inline: true });
  for await (const b of src.epoch(epoch)) {
    while (credits === 0) await new Promise<void>((r) => (wake = r));
    credits--;
    port.postMessage({ type: 'batch', x: b.x, xShape: b.xShape, y: b.y }, [b.x.buffer as ArrayBuffer, b.y.buffer as ArrayBuffer]);
  }
  port.postMessage({ type: 'end' });
}

main().then(
  () => port.close(),
  (e: Error) => {
    port.postMessage({ type: 'error', message: e.message, code: (e as { code?: string }).code, details: (e as { details?: unknown }).details });
    port.close();
  },
);
