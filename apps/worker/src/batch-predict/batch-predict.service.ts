import { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { BatchSource, classNamesFor, ExperimentSpec, JobPayloads } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { buildBatchSource, PipelineSpec, SplitName } from '@trainyard/data';
import { BatchPredictionRepository, SupersededError } from '@trainyard/db';
import { InferenceRuntime, initBackend, loadOnnxRuntime, modelFromCheckpoint, tfjsRuntime } from '@trainyard/engine';
import { JobContext } from '@trainyard/queue';
import { ARTIFACT_STORE, ArtifactStore, keys } from '@trainyard/storage';
import { DatasetLoader } from '../training/dataset-loader';
import { header, line, PredictionFormat } from './prediction-file';

export type BatchPredictOutcome = 'succeeded' | 'failed' | 'superseded' | 'already-finished';

/** How often progress is written while a job runs. */
const PROGRESS_EVERY_MS = 250;

/**
 * The `batchPredict` job: one checkpoint (ONNX Runtime when it has an ONNX export, else TensorFlow.js,
 * as serving chooses) over one split of a dataset version, through the deterministic part of the
 * experiment's pipeline in split order (as evaluation does), streaming a JSONL or CSV file of top-k
 * classes with names to the store; progress goes to the row as it runs, SUCCEEDED after the bytes.
 * Idempotent: one key per job, rewritten whole by a redelivery; a finished row is left alone.
 */
@Injectable()
export class BatchPredictService {
  private readonly logger = new Logger('BatchPredict');
  private backend?: Promise<unknown>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly predictions: BatchPredictionRepository,
    private readonly loader: DatasetLoader,
  ) {}

  async handle({ batchPredictionId: id }: JobPayloads['batchPredict'], ctx: Pick<JobContext, 'lastTry'>): Promise<BatchPredictOutcome> {
    const row = await this.predictions.getById(id);
    if (!row || row.status === 'SUCCEEDED' || row.status === 'FAILED') return 'already-finished';
    const claimed = await this.predictions.claim(id);
    if (claimed === undefined) return 'already-finished';
    const attempt: number = claimed;
    const log = (m: string) => this.logger.log(`batch prediction ${id} attempt ${attempt}: ${m}`);
    let runtime: InferenceRuntime | undefined;
    let lease: (() => Promise<void>) | undefined;
    let data: BatchSource | undefined;
    try {
      const { checkpoint } = row;
      const spec = checkpoint.experiment.spec as unknown as ExperimentSpec & { classNames?: unknown };
      const { split, index, release } = await this.loader.loadSplit(row.datasetVersionId, row.split as SplitName);
      lease = release;
      const numClasses = spec.model.numClasses;
      const classNames = classNamesFor(spec.classNames, index.classNames, numClasses);
      const onnxKey = checkpoint.exports[0]?.storageKey;
      runtime = await this.runtimeFor(checkpoint.storageKey, onnxKey ?? undefined);
      log(`${row.split} split of dataset version ${row.datasetVersionId} (${index.splits[row.split as SplitName]?.count} samples) on ${runtime.kind}, top ${row.topK}, ${row.format}`);
      const source = buildBatchSource(split, spec.pipeline as PipelineSpec, { seed: spec.seed, shuffle: false, dropRemainder: false });
      data = source;
      const key = keys.batchPrediction(checkpoint.experiment.teamId, checkpoint.experiment.id, id, row.format === 'CSV' ? 'csv' : 'jsonl');
      let processed = 0;
      const rt = runtime;
      const format = row.format as PredictionFormat;
      const k = Math.min(row.topK, numClasses);
      const predictions = this.predictions;
      async function* lines(): AsyncGenerator<string> {
        const head = header(format, k);
        if (head) yield head;
        let lastProgress = performance.now();
        for await (const batch of source.epoch(0)) {
          const n = batch.y.length;
          // Batches prepared on a loader thread can come from another realm (under jest's vm): runtimes check instanceof.
          const x = batch.x instanceof Float32Array ? batch.x : new Float32Array(batch.x);
          const probs = softmaxRows(await rt.run(x, batch.xShape), numClasses);
          source.release?.(batch); // the run is over: the source may reuse its arrays
          let chunk = '';
          for (let i = 0; i < n; i++) {
            chunk += line(format, { index: processed + i, label: batch.y[i], probabilities: probs.subarray(i * numClasses, (i + 1) * numClasses) }, k, classNames);
          }
          processed += n;
          yield chunk;
          if (performance.now() - lastProgress > PROGRESS_EVERY_MS) {
            lastProgress = performance.now();
            await predictions.progress(id, attempt, processed);
          }
        }
      }
      // Bytes first (streamed: the file is never whole in memory), then the row.
      const { sizeBytes } = await this.store.put(key, Readable.from(lines()), { contentType: format === 'CSV' ? 'text/csv' : 'application/x-ndjson' });
      await this.predictions.succeed(id, attempt, { storageKey: key, sizeBytes, processed });
      log(`succeeded: ${processed} predictions, ${sizeBytes} bytes at ${key}`);
      return 'succeeded';
    } catch (err) {
      if (err instanceof SupersededError) return 'superseded';
      // A problem of the inputs (a corrupt checkpoint, a split that is not there) fails at once; I/O is retried.
      const permanent = (err as { code?: string }).code !== undefined;
      if (!permanent && !ctx.lastTry) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      await this.predictions.fail(id, attempt, reason).catch((e) => {
        if (!(e instanceof SupersededError)) throw e;
      });
      log(`failed: ${reason}`);
      return 'failed';
    } finally {
      // The source's prefetch thread and the lease on the cached shards end with the job.
      await data?.close?.();
      await lease?.();
      await runtime?.dispose();
    }
  }

  /** Enqueue-side recovery for the in-process queue, as the other jobs. */
  unfinished() {
    return this.predictions.unfinished();
  }

  private async runtimeFor(checkpointKey: string, onnxKey: string | undefined): Promise<InferenceRuntime> {
    if (onnxKey) return loadOnnxRuntime(await this.store.getBytes(onnxKey));
    this.backend ??= initBackend(this.config.worker.backend === 'cpu' ? 'cpu' : 'auto');
    await this.backend;
    return tfjsRuntime(modelFromCheckpoint(await this.store.getBytes(checkpointKey)));
  }
}

/** Softmax of each row of `logits` ([n, k]) in place. */
function softmaxRows(logits: Float32Array, k: number): Float32Array {
  for (let r = 0; r < logits.length; r += k) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) if (logits[r + j] > max) max = logits[r + j];
    let sum = 0;
    for (let j = 0; j < k; j++) sum += logits[r + j] = Math.exp(logits[r + j] - max);
    for (let j = 0; j < k; j++) logits[r + j] /= sum;
  }
  return logits;
}
