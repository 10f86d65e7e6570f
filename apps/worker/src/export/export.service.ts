import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ErrorCode, JobPayloads, TrainyardError } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { CheckpointExportRepository } from '@trainyard/db';
import { exportToOnnx, initBackend, loadCheckpoint, measureOnnxParity, modelFromCheckpoint } from '@trainyard/engine';
import { JOB_QUEUE, JOB_RELEASED, JobContext, JobQueue } from '@trainyard/queue';
import { ARTIFACT_STORE, ArtifactStore, keys } from '@trainyard/storage';

export type ExportOutcome = 'succeeded' | 'failed' | 'already-finished' | 'not-found' | typeof JOB_RELEASED;

/** Largest |ONNX - tfjs| on the check batch that the job accepts (the bar). */
export const MAX_ABS_DIFF = 1e-4;

/**
 * The exportCheckpoint job: checkpoint bytes -> tfjs model -> ONNX file, checked in ONNX Runtime
 * against tfjs on a seeded batch, stored under a key fixed per checkpoint, then recorded SUCCEEDED.
 * Idempotent: a finished export is left alone, and a redelivered one rewrites the same bytes.
 */
@Injectable()
export class ExportService {
  private readonly logger = new Logger('Export');
  private backend?: Promise<unknown>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly exports: CheckpointExportRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  async handle({ exportId }: JobPayloads['exportCheckpoint'], ctx: JobContext): Promise<ExportOutcome> {
    // An export takes seconds: once started it finishes, but a stopping worker starts none.
    if (ctx.shutdown.aborted) return JOB_RELEASED;
    const row = await this.exports.getById(exportId);
    if (!row) return 'not-found'; // the checkpoint (and with it the export) was deleted
    if (!(await this.exports.start(exportId))) return 'already-finished';
    const { checkpoint } = row;
    const log = (m: string) => this.logger.log(`export ${exportId} (checkpoint ${checkpoint.id}, step ${checkpoint.step}): ${m}`);
    try {
      log(`reading the checkpoint (${checkpoint.sizeBytes} bytes)`);
      const bytes = await this.store.getBytes(checkpoint.storageKey);
      // The same backend choice as serve, so an embedded process (worker and serve in one) keeps one.
      this.backend ??= initBackend(this.config.worker.backend === 'cpu' ? 'cpu' : 'auto');
      await this.backend;
      const ckpt = loadCheckpoint(bytes);
      const model = modelFromCheckpoint(ckpt);
      try {
        // What a reader of the file alone needs: where it came from, the zoo spec, and that it ends in logits.
        const onnx = exportToOnnx(model, {
          metadata: {
            checkpoint_id: checkpoint.id,
            experiment_id: checkpoint.experimentId,
            step: String(checkpoint.step),
            model_spec: JSON.stringify(ckpt.header.modelSpec),
            output: 'logits',
          },
        });
        const ops = Object.entries(onnx.opCounts).map(([op, n]) => `${n} ${op}`).join(', ');
        log(`converted: ${onnx.bytes.byteLength} bytes, opset ${onnx.opsetVersion}, ${ops}`);
        const maxAbsDiff = await measureOnnxParity(model, onnx.bytes);
        log(`ONNX Runtime vs tfjs on 8 check inputs: max |diff| ${maxAbsDiff.toExponential(2)}`);
        if (!(maxAbsDiff <= MAX_ABS_DIFF)) {
          return await this.failed(exportId, `the ONNX file's outputs differ from tfjs by ${maxAbsDiff} (limit ${MAX_ABS_DIFF})`, log);
        }
        // Bytes first, then the row.
        const key = keys.checkpointExport(row.checkpoint.experiment.teamId, checkpoint.experimentId, checkpoint.id, 'onnx');
        await this.store.put(key, onnx.bytes, { contentType: 'application/octet-stream' });
        const sha256 = createHash('sha256').update(onnx.bytes).digest('hex');
        const recorded = await this.exports.succeed(exportId, {
          storageKey: key,
          sizeBytes: onnx.bytes.byteLength,
          sha256,
          opsetVersion: onnx.opsetVersion,
          maxAbsDiff,
        });
        log(recorded ? `stored as ${key}` : 'finished elsewhere meanwhile; left as it was');
        return recorded ? 'succeeded' : 'already-finished';
      } finally {
        model.dispose();
      }
    } catch (err) {
      // A model or checkpoint the exporter cannot handle fails at once; I/O errors are retried.
      if (err instanceof TrainyardError && err.code === ErrorCode.BAD_USER_INPUT) return this.failed(exportId, err.message, log);
      if (!ctx.lastTry) throw err;
      return this.failed(exportId, `gave up after repeated errors: ${err instanceof Error ? err.message : String(err)}`, log);
    }
  }

  /** Enqueues every export still QUEUED or RUNNING (the in-process queue forgets its jobs on exit). */
  async requeueUnfinished(): Promise<void> {
    for (const { id } of await this.exports.unfinished()) await this.queue.enqueue('exportCheckpoint', { exportId: id });
  }

  private async failed(id: string, reason: string, log: (m: string) => void): Promise<ExportOutcome> {
    await this.exports.fail(id, reason);
    log(`failed: ${reason}`);
    return 'failed';
  }
}
