import { Inject, Injectable, Logger } from '@nestjs/common';
import { tmpdir } from 'node:os';
import { ErrorCode, JobPayloads, TrainyardError } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { DatasetIndex, ingestDataset, SourceFile } from '@trainyard/data';
import { DatasetVersionRepository } from '@trainyard/db';
import { JOB_QUEUE, JobContext, JobQueue } from '@trainyard/queue';
import { ARTIFACT_STORE, ArtifactStore, keys } from '@trainyard/storage';
import { EventPublisher } from '@trainyard/events';

export type IngestOutcome = 'ready' | 'failed' | 'already-finished' | 'not-found' | 'not-started';

/** Errors that name a problem with the data or the options: the version fails at once, no retry. */
const isUserError = (e: unknown) =>
  e instanceof TrainyardError && (e.code === ErrorCode.INVALID_DATASET_FILE || e.code === ErrorCode.BAD_USER_INPUT);

/**
 * The ingestDataset job: reads a version's uploaded sources through the format registry in
 * libs/data and writes the internal form (shards, then index.json) under the version's data/
 * folder, then marks the version READY with its statistics, or FAILED with the reason. Shard names
 * are deterministic, so a retried job overwrites the same objects: running it twice leaves one result.
 */
@Injectable()
export class IngestService {
  private readonly logger = new Logger('Ingest');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly versions: DatasetVersionRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    private readonly events: EventPublisher,
  ) {}

  handle(job: JobPayloads['ingestDataset'], ctx: Pick<JobContext, 'lastTry'>): Promise<IngestOutcome> {
    return this.run(job.datasetVersionId, ctx.lastTry);
  }

  /** Re-enqueues versions left INGESTING (the in-process queue forgets its jobs on exit). */
  async requeueUnfinished(): Promise<void> {
    for (const { id } of await this.versions.ingesting()) await this.queue.enqueue('ingestDataset', { datasetVersionId: id });
  }

  async run(versionId: string, lastTry = true): Promise<IngestOutcome> {
    const v = await this.versions.getById(versionId);
    if (!v) return 'not-found';
    if (v.status === 'READY' || v.status === 'FAILED') return 'already-finished';
    if (v.status !== 'INGESTING') return 'not-started';
    const teamId = v.dataset.teamId;
    const prefix = keys.datasetData(teamId, v.datasetId, v.id);
    const log = (m: string) => this.logger.log(`dataset ${v.datasetId} v${v.version}: ${m}`);
    const files: SourceFile[] = v.sources
      .filter((s) => s.status === 'STORED')
      .map((s) => ({ name: s.name, sizeBytes: Number(s.bytesReceived), open: () => this.store.get(s.storageKey) }));
    log(`ingesting ${v.format} from ${files.map((f) => `${f.name} (${f.sizeBytes} bytes)`).join(', ')}`);
    const started = Date.now();
    let index: DatasetIndex;
    try {
      index = await ingestDataset({
        format: v.format,
        options: v.options,
        split: v.split,
        files,
        sink: { put: async (name, bytes) => void (await this.store.put(`${prefix}${name}`, bytes, { contentType: 'application/octet-stream' })) },
        tmpDir: tmpdir(),
        log,
      });
    } catch (err) {
      if (!isUserError(err) && !lastTry) throw err; // the store or database hiccuped: the queue retries
      const reason = err instanceof Error ? err.message : String(err);
      await this.versions.markFailed(v.id, reason);
      await this.events.datasetVersionChanged(teamId, v.datasetId, v.id);
      log(`failed: ${reason}`);
      return 'failed';
    }
    const { train, test, validation } = index.splits;
    const ok = await this.versions.markReady(v.id, {
      storagePrefix: prefix,
      index,
      sampleShape: index.sampleShape,
      numClasses: index.task === 'classification' ? index.classNames.length : null,
      trainCount: train.count,
      testCount: test?.count ?? 0,
      validationCount: validation?.count ?? 0,
      classHistogram: train.histogram,
    });
    if (ok) await this.events.datasetVersionChanged(teamId, v.datasetId, v.id);
    log(`${ok ? 'ready' : 'already finished by another attempt'} in ${((Date.now() - started) / 1000).toFixed(1)} s: train ${train.count}, test ${test?.count ?? 0}, validation ${validation?.count ?? 0}`);
    return ok ? 'ready' : 'already-finished';
  }
}
