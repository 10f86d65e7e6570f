import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { errorFor } from './errors';
import { CheckpointExportDocument, ExportCheckpointDocument, type CheckpointExportFieldsFragment, type CheckpointFieldsFragment, type ExportFormat } from './generated/graphql';
import type { Transport } from './transport';
import { networkError } from './transport';
import { sleep } from './util';

export type Checkpoint = CheckpointFieldsFragment;
export type CheckpointExport = CheckpointExportFieldsFragment;
export type { ExportFormat };

export interface DownloadProgress {
  bytesReceived: number;
  /** From Content-Length; undefined when the server did not say. */
  totalBytes?: number;
}

export interface DownloadOptions {
  /** `checkpoint` (weights and optimizer state, default), `onnx` (after a SUCCEEDED export), `tfjs-model` (model.json), `tfjs-weights` (weights.bin). */
  format?: 'checkpoint' | 'onnx' | 'tfjs-model' | 'tfjs-weights';
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}

const DOWNLOAD_PATH: Record<NonNullable<DownloadOptions['format']>, string> = {
  checkpoint: '',
  onnx: '/onnx',
  'tfjs-model': '/tfjs/model.json',
  'tfjs-weights': '/tfjs/weights.bin',
};

export class Checkpoints {
  constructor(private readonly t: Transport) {}

  /**
   * Streams a checkpoint (or its ONNX export, or the tfjs files) to a file, with progress. Writes to
   * `<dest>.partial` and renames when complete, so a broken download never leaves a file that looks whole.
   */
  async download(checkpointId: string, dest: string, opts: DownloadOptions = {}): Promise<{ path: string; bytes: number }> {
    const path = `/v1/checkpoints/${encodeURIComponent(checkpointId)}${DOWNLOAD_PATH[opts.format ?? 'checkpoint']}`;
    const res = await this.t.raw('GET', path, { signal: opts.signal, noTimeout: true, what: `download of checkpoint ${checkpointId}` });
    const length = res.headers.get('content-length');
    const total = length === null ? undefined : Number(length);
    let received = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        opts.onProgress?.({ bytesReceived: received, totalBytes: total });
        cb(null, chunk);
      },
    });
    const tmp = `${dest}.partial`;
    try {
      await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), count, createWriteStream(tmp));
    } catch (e) {
      await rm(tmp, { force: true });
      throw networkError(this.t.url(path), e);
    }
    if (total !== undefined && received !== total) {
      await rm(tmp, { force: true });
      throw errorFor(`download of checkpoint ${checkpointId} ended after ${received} of ${total} bytes; try again`, { code: 'NETWORK' });
    }
    await rename(tmp, dest);
    return { path: dest, bytes: received };
  }

  /** Queues an export (ONNX); asking again returns the same export. With `wait`, polls until it ends. */
  async export(checkpointId: string, opts: { format?: ExportFormat; wait?: boolean; pollIntervalMs?: number; timeoutMs?: number; signal?: AbortSignal; onStatus?: (e: CheckpointExport) => void } = {}): Promise<CheckpointExport> {
    let exp = (await this.t.request(ExportCheckpointDocument, { checkpointId, format: opts.format ?? 'ONNX' })).exportCheckpoint;
    opts.onStatus?.(exp);
    if (!opts.wait) return exp;
    const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : Infinity;
    while (exp.status === 'QUEUED' || exp.status === 'RUNNING') {
      if (Date.now() > deadline) throw errorFor(`export ${exp.id} is still ${exp.status} after ${opts.timeoutMs} ms`, { code: 'TIMEOUT' });
      await sleep(opts.pollIntervalMs ?? 500, opts.signal);
      const next = await this.getExport(exp.id);
      if (next.status !== exp.status) opts.onStatus?.(next);
      exp = next;
    }
    return exp;
  }

  async getExport(id: string): Promise<CheckpointExport> {
    return (await this.t.request(CheckpointExportDocument, { id })).checkpointExport;
  }
}
