/**
 * npm run bench:thread-rss -- [--runs 40] [--stop-every 3] [--fail-every 4]
 *
 * The worker runs every training on a thread of its own (and each sharded source on a prefetch
 * thread). This runs `--runs` short LeNet-5 trainings one after another in this one process, on a
 * real MNIST subset ingested to shards on local disk, stopping every `--stop-every`-th run early as a
 * cancel does (then resuming it from its last checkpoint), failing every `--fail-every`-th from a host
 * handler (the thread is terminated, as when a run is superseded), and prints after each run the process's RSS and its live OS thread count. A process
 * that leaks per run shows a rising RSS after the first few runs (the allocators' high-water marks
 * settle early); threads that outlive their run show as a rising thread count.
 * Last line: RESULT runs=<n> rss_first_mb=<after run 5> rss_last_mb=<n> rss_growth_mb=<n> threads_first=<n> threads_last=<n>
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { ingestDataset } from '../../libs/data/src/formats';
import { runTrainingThread } from '../../libs/engine/src/thread/runner';
import type { ShardedSplitRef, TrainRequest } from '../../libs/engine/src/thread/protocol';
import { mnistSubset, MnistSlug } from '../support/mnist';

const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const threads = () => fs.readdirSync('/proc/self/task').length;

async function main() {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '40' }, 'stop-every': { type: 'string', default: '3' }, 'fail-every': { type: 'string', default: '4' } } });
  const runs = Number(values.runs);
  const stopEvery = Number(values['stop-every']);
  const failEvery = Number(values['fail-every']);
  const dir = await mkdtemp(path.join(tmpdir(), 'thread-rss-'));
  try {
    const counts: Record<MnistSlug, number> = { 'train-images': 512, 'train-labels': 512, 'test-images': 128, 'test-labels': 128 };
    const files = (Object.keys(counts) as MnistSlug[]).map((slug) => {
      const bytes = mnistSubset(slug, counts[slug]);
      return { name: slug, sizeBytes: bytes.length, open: async () => Readable.from([bytes]) };
    });
    const index = await ingestDataset({ format: 'idx', files, sink: { put: async (name: string, bytes: Uint8Array) => {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), bytes);
    } } });
    console.log(`ingested ${index.splits.train.count} + ${index.splits.test?.count ?? 0} samples into ${(await readdir(dir, { recursive: true })).length} files`);
    const split = (name: string): ShardedSplitRef => ({ kind: 'sharded', index: index as unknown as ShardedSplitRef['index'], split: name, dir });

    const series: Array<{ rss: number; threads: number }> = [];
    for (let run = 1; run <= runs; run++) {
      const stopEarly = stopEvery > 0 && run % stopEvery === 0;
      // A host handler that throws ends the thread at once (terminate), as a superseded run's write does.
      const failEarly = !stopEarly && failEvery > 0 && run % failEvery === 0;
      let last: Uint8Array | undefined;
      const request = (resume?: Uint8Array): TrainRequest => ({
        spec: {
          model: { name: 'lenet5', numClasses: 10 },
          pipeline: { map: [{ op: 'Rescale', rescale: 1 / 255, shift: 0 }], shuffle: { bufferSize: 512 }, batch: { size: 32, dropRemainder: true } },
          loss: { name: 'SoftmaxCrossEntropyWithLogits', sparse: true },
          optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
          epochs: 2,
          perPrintTimes: 4,
          seed: run,
          checkpoint: { saveCheckpointSteps: 8, keepCheckpointMax: 2 },
        },
        train: split('train'),
        test: split('test'),
        backend: 'wasm' as const,
        ...(resume ? { resume } : {}),
      });
      const t = runTrainingThread(request(), {
        onProgress: (p) => {
          if (stopEarly && p.step >= 10) t.stop();
          if (failEarly && p.step >= 10) throw new Error('superseded');
        },
        onCheckpoint: (bytes) => void (last = bytes),
      });
      const first = await t.done.catch((e: Error) => (e.message === 'superseded' ? { stopped: false } : Promise.reject(e)));
      // A stopped run is resumed from its last checkpoint, as resumeExperiment does.
      if (first.stopped && last) await runTrainingThread(request(last)).done;
      // Let the thread's exit and the isolates' teardown finish before reading.
      await new Promise((r) => setTimeout(r, 200));
      global.gc?.();
      const s = { rss: rssMb(), threads: threads() };
      series.push(s);
      console.log(`run ${run}${stopEarly ? ' (stopped, resumed)' : failEarly ? ' (failed)' : ''}: rss ${s.rss.toFixed(1)} MB, ${s.threads} threads`);
    }
    const first = series[Math.min(4, series.length - 1)];
    const last = series[series.length - 1];
    console.log(
      `RESULT runs=${runs} rss_first_mb=${first.rss.toFixed(1)} rss_last_mb=${last.rss.toFixed(1)} rss_growth_mb=${(last.rss - first.rss).toFixed(1)} threads_first=${first.threads} threads_last=${last.threads}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
