import { errorFor, TrainyardError } from './errors';
import {
  CompleteSourceUploadDocument,
  CreateDatasetDocument,
  CreateDatasetVersionDocument,
  CreateSourceUploadDocument,
  DatasetDocument,
  DatasetsDocument,
  DatasetVersionDocument,
  IngestDatasetVersionDocument,
  type DatasetFieldsFragment,
  type DatasetListFieldsFragment,
  type DatasetFilter,
  type DatasetQuery,
  type DatasetVersionFieldsFragment,
} from './generated/graphql';
import type { Transport } from './transport';
import { resolveSource, streamPut, UploadSource } from './upload';
import { allPages, Page, pageOf, PageOptions } from './pages';
import { sleep } from './util';

export type Dataset = DatasetFieldsFragment;
/** A dataset as lists show it (its current version without splits and sources). */
export type DatasetListItem = DatasetListFieldsFragment;
export type DatasetWithVersions = DatasetQuery['dataset'];
export type DatasetVersion = DatasetVersionFieldsFragment;
export type { DatasetFilter };

/** Progress of an upload, in bytes: of the current file and of all files of the call. */
export interface UploadProgress {
  file: string;
  fileBytesSent: number;
  fileBytes: number;
  bytesSent: number;
  totalBytes: number;
  /** How the file travels: through the API (PUT), or in presigned parts straight to the bucket. */
  method: 'put' | 'presigned';
}

export interface UploadOptions {
  onProgress?: (p: UploadProgress) => void;
  /**
   * Presigned multipart (straight to the bucket) where the server offers it: `auto` (default) uses it
   * for files of at least `multipartThresholdBytes` and falls back to a PUT when the server's store is
   * not S3; `always` requires it; `never` always PUTs through the API.
   */
  multipart?: 'auto' | 'always' | 'never';
  multipartThresholdBytes?: number;
  /** Part size for presigned uploads (server default 64 MiB; S3 minimum 5 MiB). */
  partSizeBytes?: number;
  signal?: AbortSignal;
}

export interface UploadDatasetOptions extends UploadOptions {
  /** An existing dataset; else `name` creates one. */
  datasetId?: string;
  name?: string;
  /** idx, cifar10, cifar100, imagefolder or csv (see the README's format table). */
  format: string;
  options?: Record<string, unknown>;
  split?: { testFraction?: number; validationFraction?: number; seed?: number };
  /** Wait for the ingest to end (default true). */
  wait?: boolean;
  onStatus?: (v: DatasetVersion) => void;
  pollIntervalMs?: number;
  timeoutMs?: number;
}

const DONE = new Set(['READY', 'FAILED']);

export class Datasets {
  constructor(private readonly t: Transport) {}

  async create(name: string): Promise<Dataset> {
    return (await this.t.request(CreateDatasetDocument, { name })).createDataset;
  }

  async get(id: string): Promise<DatasetWithVersions> {
    return (await this.t.request(DatasetDocument, { id })).dataset;
  }

  /** One page, newest first. */
  async list(opts: PageOptions & { filter?: DatasetFilter } = {}): Promise<Page<DatasetListItem>> {
    return pageOf((await this.t.request(DatasetsDocument, { first: opts.first ?? 50, after: opts.after, filter: opts.filter })).datasets);
  }

  /** Every dataset (matching the filter), newest first, page after page. */
  all(filter?: DatasetFilter, pageSize = 100): AsyncGenerator<DatasetListItem, void, void> {
    return allPages((after) => this.list({ first: pageSize, after, filter }));
  }

  async version(id: string): Promise<DatasetVersion> {
    return (await this.t.request(DatasetVersionDocument, { id })).datasetVersion;
  }

  /** Opens a new version (UPLOADING) for files of one format. */
  async createVersion(datasetId: string, format: string, opts: { options?: Record<string, unknown>; split?: Record<string, unknown> } = {}): Promise<DatasetVersion> {
    return (await this.t.request(CreateDatasetVersionDocument, { datasetId, format, options: opts.options, split: opts.split })).createDatasetVersion;
  }

  /** Closes the version for uploads and queues its ingest. */
  async ingest(versionId: string): Promise<DatasetVersion> {
    return (await this.t.request(IngestDatasetVersionDocument, { id: versionId })).ingestDatasetVersion;
  }

  /** Polls until the version is READY or FAILED (returns it either way; check `status`). */
  async waitForVersion(versionId: string, opts: { onStatus?: (v: DatasetVersion) => void; pollIntervalMs?: number; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<DatasetVersion> {
    const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : Infinity;
    let last = '';
    for (;;) {
      const v = await this.version(versionId);
      const key = `${v.status}`;
      if (key !== last) opts.onStatus?.(v);
      last = key;
      if (DONE.has(v.status)) return v;
      if (Date.now() > deadline) throw errorFor(`dataset version ${versionId} is still ${v.status} after ${opts.timeoutMs} ms`, { code: 'TIMEOUT' });
      await sleep(opts.pollIntervalMs ?? 500, opts.signal);
    }
  }

  /**
   * Streams one file into an open version: by presigned multipart straight to the bucket when the
   * server offers it (see UploadOptions.multipart), else one PUT through the API. Progress in bytes.
   */
  async uploadSource(versionId: string, source: UploadSource, opts: UploadOptions & { name?: string; baseBytes?: number; totalBytes?: number } = {}): Promise<DatasetVersion> {
    const src = await resolveSource(source);
    const name = opts.name ?? src.name;
    const base = opts.baseBytes ?? 0;
    const total = opts.totalBytes ?? src.size;
    const mode = opts.multipart ?? 'auto';
    const wantPresigned = mode === 'always' || (mode === 'auto' && src.size >= (opts.multipartThresholdBytes ?? 64 * 2 ** 20));
    if (wantPresigned) {
      let plan;
      try {
        plan = (await this.t.request(CreateSourceUploadDocument, { versionId, name, sizeBytes: src.size, partSizeBytes: opts.partSizeBytes })).createSourceUpload;
      } catch (e) {
        // The server's store is not S3: it says so with BAD_USER_INPUT on versionId. Fall back to a PUT.
        if (mode === 'always' || !(e instanceof TrainyardError && e.code === 'BAD_USER_INPUT' && e.details?.field === 'versionId')) throw e;
      }
      if (plan) {
        let sent = 0;
        const parts: Array<{ partNumber: number; etag: string }> = [];
        for (const part of plan.parts) {
          const start = (part.partNumber - 1) * plan.partSizeBytes;
          const end = Math.min(src.size, start + plan.partSizeBytes);
          const res = await streamPut(part.url, {}, src.open(start, end), end - start, (n) => {
            sent += n;
            opts.onProgress?.({ file: name, fileBytesSent: sent, fileBytes: src.size, bytesSent: base + sent, totalBytes: total, method: 'presigned' });
          }, opts.signal);
          const etag = res.headers.etag;
          if (!etag) throw errorFor(`part ${part.partNumber} of ${name}: the bucket answered without an ETag`, { code: 'INTERNAL', status: res.status });
          parts.push({ partNumber: part.partNumber, etag: Array.isArray(etag) ? etag[0] : etag });
        }
        return (await this.t.request(CompleteSourceUploadDocument, { versionId, name, parts })).completeSourceUpload;
      }
    }
    let sent = 0;
    const res = await streamPut(
      this.t.url(`/v1/dataset-versions/${encodeURIComponent(versionId)}/sources/${encodeURIComponent(name)}`),
      this.t.headers({ 'content-type': 'application/octet-stream', accept: 'application/json' }),
      src.open(),
      src.size,
      (n) => {
        sent += n;
        opts.onProgress?.({ file: name, fileBytesSent: sent, fileBytes: src.size, bytesSent: base + sent, totalBytes: total, method: 'put' });
      },
      opts.signal,
    );
    return res.body as DatasetVersion;
  }

  /**
   * The whole way in: a dataset (existing or new), a version of `format`, every file streamed with
   * progress, the ingest queued, and (unless wait is false) its end awaited. A FAILED ingest is
   * returned, not thrown: `version.status` and `version.failureReason` say what happened.
   */
  async upload(files: UploadSource[], opts: UploadDatasetOptions): Promise<{ dataset: Dataset; version: DatasetVersion }> {
    if (!files.length) throw errorFor('no files to upload', { code: 'BAD_USER_INPUT' });
    const sources = await Promise.all(files.map(resolveSource));
    const totalBytes = sources.reduce((a, s) => a + s.size, 0);
    const dataset = opts.datasetId
      ? await this.get(opts.datasetId)
      : await this.create(opts.name ?? errorThrow('either datasetId or name is needed'));
    let version = await this.createVersion(dataset.id, opts.format, { options: opts.options, split: opts.split });
    let base = 0;
    for (let i = 0; i < files.length; i++) {
      version = await this.uploadSource(version.id, files[i], { ...opts, name: sources[i].name, baseBytes: base, totalBytes });
      base += sources[i].size;
    }
    version = await this.ingest(version.id);
    opts.onStatus?.(version);
    if (opts.wait !== false) version = await this.waitForVersion(version.id, { onStatus: opts.onStatus, pollIntervalMs: opts.pollIntervalMs, timeoutMs: opts.timeoutMs, signal: opts.signal });
    return { dataset, version };
  }
}

function errorThrow(message: string): never {
  throw errorFor(message, { code: 'BAD_USER_INPUT' });
}
