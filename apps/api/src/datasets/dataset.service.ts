import { createHash, randomUUID } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { badInput, ErrorCode, notFound, TrainyardError } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { DatasetIndex, datasetFormat, renderPreview, validateIngestRequest } from '@trainyard/data';
import { DatasetRepository, DatasetVersionRepository } from '@trainyard/db';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';
import { ARTIFACT_STORE, ArtifactStore, keys } from '@trainyard/storage';
import { EventPublisher } from '@trainyard/events';

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const PROGRESS_EVERY_MS = 500;

/**
 * Dataset versions and their uploads. Knows no file format: the registry in libs/data validates
 * options and names, may check bytes while they arrive, and the ingestDataset job does the rest.
 * Bytes always go to the store first, then the row points at them.
 */
@Injectable()
export class DatasetService {
  private readonly logger = new Logger('Datasets');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly datasets: DatasetRepository,
    private readonly versions: DatasetVersionRepository,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Optional() private readonly events?: EventPublisher,
  ) {}

  /** A new version open for uploads. One open version per dataset at a time. */
  async createVersion(teamId: string, datasetId: string, format: string, options: unknown, split: unknown) {
    const dataset = await this.datasets.get(teamId, datasetId);
    const valid = validateIngestRequest(format, options, split);
    const open = await this.versions.open(dataset.id);
    if (open) throw new TrainyardError(ErrorCode.CONFLICT, `version ${open.version} of this dataset is still open for uploads; ingest it first`, { versionId: open.id });
    return this.versions.create(dataset.id, valid.format.name, valid.options as object, valid.split);
  }

  /**
   * Streams one source file into the store: never whole in memory, progress written as it goes,
   * cut off past the configured limit. The format may check the bytes on the way (idx headers).
   */
  async uploadSource(teamId: string, versionId: string, name: string, body: Readable, declaredBytes?: number) {
    const v = await this.versions.getForTeam(teamId, versionId);
    if (!SOURCE_NAME.test(name)) throw badInput(`file name "${name.slice(0, 40)}" must be 1-128 letters, digits, . _ -`, { field: 'name' });
    const format = datasetFormat(v.format);
    format.acceptsFile?.(name);
    const limit = this.config.datasets.uploadMaxBytes;
    if (declaredBytes !== undefined && declaredBytes > limit) {
      throw badInput(`${name}: ${declaredBytes} bytes is more than the upload limit of ${limit} bytes`, { field: 'body', limit });
    }
    const { id: sourceId, previousBytes } = await this.versions.beginSource(v.id, name, declaredBytes ?? 0);
    const key = keys.datasetSource(teamId, v.datasetId, v.id, name, randomUUID());
    const hash = createHash('sha256');
    let received = 0;
    let lastReport = Date.now();
    const meter = new Transform({
      transform: (chunk: Buffer, _e, cb) => {
        received += chunk.length;
        if (received > limit) return cb(badInput(`${name}: more than the upload limit of ${limit} bytes`, { field: 'body', limit }));
        hash.update(chunk);
        if (Date.now() - lastReport > PROGRESS_EVERY_MS) {
          lastReport = Date.now();
          this.versions.progress(sourceId, received).catch(() => undefined);
        }
        cb(null, chunk);
      },
    });
    const check = format.uploadCheck?.(name, v.options as never);
    let details: object | undefined;
    try {
      const last = check ? check.stream : meter;
      const flow = check ? pipeline(body, meter, check.stream) : pipeline(body, meter);
      await Promise.all([flow, this.store.put(key, last, { contentType: 'application/octet-stream' })]);
      if (declaredBytes !== undefined && received !== declaredBytes) throw this.cutOff(name, received, declaredBytes);
      details = check ? await check.report : undefined;
    } catch (err) {
      await this.store.delete(key).catch(() => undefined);
      await this.versions.abortSource(sourceId, previousBytes);
      if (err instanceof TrainyardError) throw err;
      throw this.cutOff(name, received, declaredBytes, err);
    }
    const replaced = await this.versions.finishSource(sourceId, { storageKey: key, sizeBytes: received, sha256: hash.digest('hex'), details });
    if (replaced) await this.store.delete(replaced).catch((e) => this.logger.warn(`could not delete ${replaced}: ${e.message}`));
    this.logger.log(`dataset ${v.datasetId} v${v.version}: ${name} stored (${received} bytes)`);
    return this.versions.getForTeam(teamId, v.id);
  }

  private cutOff(name: string, received: number, declared?: number, cause?: unknown) {
    const why = cause instanceof Error ? ` (${cause.message.slice(0, 80)})` : '';
    return badInput(`${name}: the upload was cut off after ${received} bytes${declared !== undefined ? ` of ${declared}` : ''}${why}; nothing was stored`, {
      field: 'body',
      problem: 'cut-off',
    });
  }

  /**
   * A presigned multipart upload straight to the bucket (S3 stores only): the client PUTs each part
   * to its URL, then calls completeSourceUpload with the parts' ETags. Ends in the same ingest.
   */
  async beginPresignedUpload(teamId: string, versionId: string, name: string, sizeBytes: number, partSizeBytes = 64 * 2 ** 20) {
    const multipart = this.store.multipart;
    if (!multipart) throw badInput('presigned uploads need S3 storage; PUT the file to uploadUrl instead', { field: 'versionId' });
    const v = await this.versions.getForTeam(teamId, versionId);
    if (!SOURCE_NAME.test(name)) throw badInput(`file name "${name.slice(0, 40)}" must be 1-128 letters, digits, . _ -`, { field: 'name' });
    datasetFormat(v.format).acceptsFile?.(name);
    const limit = this.config.datasets.uploadMaxBytes;
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 1) throw badInput('sizeBytes must be a positive integer', { field: 'sizeBytes' });
    if (sizeBytes > limit) throw badInput(`${name}: ${sizeBytes} bytes is more than the upload limit of ${limit} bytes`, { field: 'sizeBytes', limit });
    if (!Number.isSafeInteger(partSizeBytes) || partSizeBytes < 5 * 2 ** 20) throw badInput('partSizeBytes must be at least 5 MiB (S3)', { field: 'partSizeBytes' });
    const parts = Math.ceil(sizeBytes / partSizeBytes);
    if (parts > 10_000) throw badInput(`${parts} parts of ${partSizeBytes} bytes; S3 allows 10000: use larger parts`, { field: 'partSizeBytes' });
    if (v.sources.some((s) => s.name === name && s.sha256)) {
      throw new TrainyardError(ErrorCode.CONFLICT, `${name} is already stored in this version; replace it with a PUT, or open a new version`, { file: name });
    }
    const { id: sourceId } = await this.versions.beginSource(v.id, name, sizeBytes);
    const key = keys.datasetSource(teamId, v.datasetId, v.id, name, randomUUID());
    const expiresInS = 3600;
    try {
      const { uploadId, urls } = await multipart.begin(key, parts, expiresInS);
      await this.versions.setMultipart(sourceId, key, uploadId);
      return { uploadId, partSizeBytes, parts: urls.map((url, i) => ({ partNumber: i + 1, url })), expiresAt: new Date(Date.now() + expiresInS * 1000) };
    } catch (e) {
      await this.versions.abortSource(sourceId);
      throw e;
    }
  }

  /**
   * Assembles a presigned upload's parts, then reads the object back once to hash it and run the
   * format's upload check (a wrong file is refused here, as with a PUT). Size must match what was
   * announced, else the upload counts as cut off.
   */
  async completePresignedUpload(teamId: string, versionId: string, name: string, parts: Array<{ partNumber: number; etag: string }>) {
    const multipart = this.store.multipart;
    if (!multipart) throw badInput('presigned uploads need S3 storage', { field: 'versionId' });
    const v = await this.versions.getForTeam(teamId, versionId);
    const src = v.sources.find((s) => s.name === name);
    if (!src?.multipartUploadId || src.status !== 'RECEIVING') throw new TrainyardError(ErrorCode.CONFLICT, `no presigned upload of ${name} is open on this version`);
    const key = src.storageKey;
    const fail = async (err: unknown) => {
      await multipart.abort(key, src.multipartUploadId!);
      await this.store.delete(key).catch(() => undefined);
      await this.versions.abortSource(src.id);
      throw err;
    };
    try {
      await multipart.complete(key, src.multipartUploadId, parts);
    } catch (e) {
      return fail(badInput(`${name}: the parts do not make a complete upload (${(e as Error).message.slice(0, 100)})`, { field: 'parts', problem: 'cut-off' }));
    }
    const hash = createHash('sha256');
    let size = 0;
    const check = datasetFormat(v.format).uploadCheck?.(name, v.options as never);
    let details: object | undefined;
    try {
      const body = await this.store.get(key);
      const meter = new Transform({
        transform(chunk: Buffer, _e, cb) {
          size += chunk.length;
          hash.update(chunk);
          cb(null, chunk);
        },
      });
      if (check) {
        check.stream.resume();
        await pipeline(body, meter, check.stream);
        details = await check.report;
      } else {
        meter.resume();
        await pipeline(body, meter);
      }
      if (size !== Number(src.expectedBytes)) throw this.cutOff(name, size, Number(src.expectedBytes));
    } catch (e) {
      return fail(e);
    }
    const replaced = await this.versions.finishSource(src.id, { storageKey: key, sizeBytes: size, sha256: hash.digest('hex'), details });
    if (replaced) await this.store.delete(replaced).catch(() => undefined);
    return this.versions.getForTeam(teamId, v.id);
  }

  /** Closes a version for uploads and queues its ingest. */
  async ingest(teamId: string, versionId: string) {
    const v = await this.versions.getForTeam(teamId, versionId);
    const stored = v.sources.filter((s) => s.status === 'STORED').map((s) => s.name);
    if (v.status !== 'UPLOADING') throw new TrainyardError(ErrorCode.CONFLICT, `dataset version ${v.version} is ${v.status}`, { status: v.status });
    if (v.sources.some((s) => s.status === 'RECEIVING')) throw new TrainyardError(ErrorCode.CONFLICT, 'a file is still being uploaded to this version');
    datasetFormat(v.format).checkFiles(stored);
    if (await this.versions.startIngest(v.id)) {
      await this.events?.datasetVersionChanged(teamId, v.datasetId, v.id); // INGESTING
      await this.queue.enqueue('ingestDataset', { datasetVersionId: v.id });
    }
    return this.versions.getForTeam(teamId, v.id);
  }

  /**
   * The idx way in, kept from before versions: PUT a file to the dataset; it lands in the dataset's
   * open version (a new idx version when none is open), and the fourth file starts the ingest.
   */
  async uploadToDataset(teamId: string, datasetId: string, name: string, body: Readable, declaredBytes?: number) {
    const dataset = await this.datasets.get(teamId, datasetId);
    datasetFormat('idx').acceptsFile?.(name);
    let v = await this.versions.open(dataset.id);
    if (v && v.format !== 'idx') throw new TrainyardError(ErrorCode.CONFLICT, `version ${v.version} is open for ${v.format} uploads`);
    v ??= await this.createVersion(teamId, dataset.id, 'idx', {}, {});
    const after = await this.uploadSource(teamId, v.id, name, body, declaredBytes);
    const names = after.sources.filter((s) => s.status === 'STORED').map((s) => s.name);
    if (datasetFormat(after.format).autoIngest?.(names)) return this.ingest(teamId, after.id);
    return after;
  }

  /** A PNG grid of train samples per class with names and the histogram (READY image versions). */
  async preview(teamId: string, versionId: string, perClass?: number) {
    const v = await this.versions.getForTeam(teamId, versionId);
    if (v.status !== 'READY' || !v.index || !v.storagePrefix) throw new TrainyardError(ErrorCode.CONFLICT, `dataset version ${v.version} is ${v.status}; a preview needs a READY version`);
    const prefix = v.storagePrefix;
    return renderPreview(v.index as unknown as DatasetIndex, (ref) => this.store.getBytes(`${prefix}${ref.name}`), { perClass });
  }

  /** Streams a source of the dataset's current (else open) version back, as uploaded. */
  async download(teamId: string, datasetId: string, name: string) {
    const dataset = await this.datasets.get(teamId, datasetId);
    const v = (await this.versions.current(dataset.id)) ?? (await this.versions.open(dataset.id));
    const file = v?.sources.find((s) => s.name === name && s.sha256);
    if (!file) {
      datasetFormat(v?.format ?? 'idx').acceptsFile?.(name);
      throw notFound('dataset file', name);
    }
    return { stream: await this.store.get(file.storageKey), sizeBytes: Number(file.expectedBytes), gzipped: (file.details as { gzipped?: boolean } | null)?.gzipped ?? false };
  }
}
