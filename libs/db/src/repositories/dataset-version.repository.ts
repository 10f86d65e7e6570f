import { Injectable } from '@nestjs/common';
import { assertId, ErrorCode, notFound, TrainyardError } from '@trainyard/common';
import { PrismaService } from '../prisma/prisma.service';

/** A source whose upload has not reported progress for this long is considered abandoned. */
export const STALE_UPLOAD_MS = 5 * 60_000;

export interface VersionSummary {
  storagePrefix: string;
  index: object;
  sampleShape: number[];
  numClasses: number | null;
  trainCount: number;
  testCount: number;
  validationCount: number;
  /** The train histogram, copied onto the dataset row as its current summary. */
  classHistogram: number[];
}

const conflict = (message: string, details?: Record<string, unknown>) => new TrainyardError(ErrorCode.CONFLICT, message, details);

/**
 * Dataset versions and their uploaded sources. A version is written by uploads while UPLOADING,
 * by the ingest job while INGESTING, and never again once READY. Status changes are conditional
 * single statements, so two workers (or a retried job) cannot both move a version.
 */
@Injectable()
export class DatasetVersionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** A new version numbered after the dataset's last one (retries once on a concurrent insert). */
  async create(datasetId: string, format: string, options: object, split: object) {
    for (let tryNo = 0; ; tryNo++) {
      const last = await this.prisma.datasetVersion.findFirst({ where: { datasetId }, orderBy: { version: 'desc' }, select: { version: true } });
      try {
        return await this.prisma.datasetVersion.create({
          data: { datasetId, version: (last?.version ?? 0) + 1, format, options, split },
          include: { sources: true },
        });
      } catch (e) {
        if (tryNo < 2 && (e as { code?: string }).code === 'P2002') continue;
        throw e;
      }
    }
  }

  /** The dataset's version open for uploads, if any. */
  open(datasetId: string) {
    return this.prisma.datasetVersion.findFirst({ where: { datasetId, status: 'UPLOADING' }, orderBy: { version: 'desc' }, include: { sources: true } });
  }

  list(datasetId: string) {
    return this.prisma.datasetVersion.findMany({ where: { datasetId }, orderBy: { version: 'desc' }, include: { sources: true } });
  }

  /** The newest READY version: what an experiment trains on unless it names one. */
  current(datasetId: string) {
    return this.prisma.datasetVersion.findFirst({ where: { datasetId, status: 'READY' }, orderBy: { version: 'desc' }, include: { sources: true } });
  }

  async getForTeam(teamId: string, id: string) {
    assertId('dataset version', id);
    const v = await this.prisma.datasetVersion.findFirst({ where: { id, dataset: { teamId } }, include: { sources: true, dataset: true } });
    if (!v) throw notFound('dataset version', id);
    return v;
  }

  /** For the worker, which acts for the version's team. */
  getById(id: string) {
    return this.prisma.datasetVersion.findUnique({ where: { id }, include: { sources: true, dataset: true } });
  }

  /**
   * Starts receiving one source file. A second upload of the same name while the first is still
   * arriving is refused (CONFLICT); a finished or failed one is replaced when the new one completes.
   */
  async beginSource(versionId: string, name: string, expectedBytes: number) {
    const now = Date.now();
    return this.prisma.$transaction(async (tx) => {
      const v = await tx.datasetVersion.findUniqueOrThrow({ where: { id: versionId } });
      if (v.status !== 'UPLOADING') throw conflict(`dataset version ${v.version} is ${v.status}; upload to a new version`, { status: v.status });
      const existing = await tx.datasetSource.findUnique({ where: { versionId_name: { versionId, name } } });
      if (existing?.status === 'RECEIVING' && now - existing.updatedAt.getTime() < STALE_UPLOAD_MS) {
        throw conflict(`${name} is already being uploaded to this version`, { file: name });
      }
      const data = { status: 'RECEIVING' as const, bytesReceived: 0n, expectedBytes: BigInt(expectedBytes) };
      const row = existing
        ? await tx.datasetSource.update({ where: { id: existing.id }, data })
        : await tx.datasetSource.create({ data: { versionId, name, storageKey: '', ...data } });
      return { id: row.id, previousBytes: existing?.status === 'STORED' ? existing.bytesReceived : undefined };
    });
  }

  progress(sourceId: string, bytesReceived: number) {
    return this.prisma.datasetSource.update({ where: { id: sourceId }, data: { bytesReceived: BigInt(bytesReceived) } });
  }

  /** The bytes are in the store: point the source at them. Returns the key they replaced. */
  /**
   * `sha256` null: not hashed yet (a presigned upload, verified by the ingest job, which records it
   * with recordSourceHash).
   */
  async finishSource(sourceId: string, done: { storageKey: string; sizeBytes: number; sha256: string | null; details?: object }) {
    const old = await this.prisma.datasetSource.findUniqueOrThrow({ where: { id: sourceId } });
    await this.prisma.datasetSource.update({
      where: { id: sourceId },
      data: { status: 'STORED', storageKey: done.storageKey, bytesReceived: BigInt(done.sizeBytes), expectedBytes: BigInt(done.sizeBytes), sha256: done.sha256, details: done.details ?? undefined, multipartUploadId: null },
    });
    // The key the row pointed at before (a replaced file, or an abandoned multipart upload's key).
    return old.storageKey && old.storageKey !== done.storageKey ? old.storageKey : undefined;
  }

  /**
   * The upload broke off: a source that had earlier bytes keeps them (`previousBytes`, from
   * beginSource, restores its size), a new one is FAILED.
   */
  async abortSource(sourceId: string, previousBytes?: bigint) {
    const s = await this.prisma.datasetSource.findUnique({ where: { id: sourceId } });
    if (!s) return;
    const kept = previousBytes !== undefined; // beginSource gives it only when a stored file was there
    await this.prisma.datasetSource.update({
      where: { id: sourceId },
      data: kept ? { status: 'STORED', bytesReceived: previousBytes, expectedBytes: previousBytes } : { status: 'FAILED' },
    });
  }

  /** The ingest job hashed a source it read (a presigned upload's, which the API never reads). */
  recordSourceHash(sourceId: string, sha256: string) {
    return this.prisma.datasetSource.updateMany({ where: { id: sourceId, sha256: null }, data: { sha256 } });
  }

  setMultipart(sourceId: string, storageKey: string, uploadId: string | null) {
    return this.prisma.datasetSource.update({ where: { id: sourceId }, data: { storageKey, multipartUploadId: uploadId } });
  }

  /** UPLOADING -> INGESTING; false when the version was not open. */
  async startIngest(versionId: string): Promise<boolean> {
    const r = await this.prisma.datasetVersion.updateMany({ where: { id: versionId, status: 'UPLOADING' }, data: { status: 'INGESTING', failureReason: null } });
    return r.count === 1;
  }

  /** INGESTING -> READY, and the dataset row summarises its newest READY version. */
  async markReady(versionId: string, s: VersionSummary): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const r = await tx.datasetVersion.updateMany({
        where: { id: versionId, status: 'INGESTING' },
        data: {
          status: 'READY',
          readyAt: new Date(),
          storagePrefix: s.storagePrefix,
          index: s.index,
          sampleShape: s.sampleShape,
          numClasses: s.numClasses,
          trainCount: s.trainCount,
          testCount: s.testCount,
          validationCount: s.validationCount,
        },
      });
      if (r.count !== 1) return false;
      const v = await tx.datasetVersion.findUniqueOrThrow({ where: { id: versionId } });
      const newer = await tx.datasetVersion.count({ where: { datasetId: v.datasetId, status: 'READY', version: { gt: v.version } } });
      if (newer === 0) {
        await tx.dataset.update({
          where: { id: v.datasetId },
          data: { status: 'READY', imageShape: s.sampleShape, numClasses: s.numClasses, trainCount: s.trainCount, testCount: s.testCount, classHistogram: s.classHistogram },
        });
      }
      return true;
    });
  }

  /** INGESTING -> FAILED with the reason; nothing else is touched. */
  async markFailed(versionId: string, reason: string): Promise<boolean> {
    const r = await this.prisma.datasetVersion.updateMany({ where: { id: versionId, status: 'INGESTING' }, data: { status: 'FAILED', failureReason: reason.slice(0, 2000) } });
    return r.count === 1;
  }

  /** Versions left INGESTING (the in-process queue forgets its jobs on exit). */
  ingesting() {
    return this.prisma.datasetVersion.findMany({ where: { status: 'INGESTING' }, select: { id: true } });
  }
}
