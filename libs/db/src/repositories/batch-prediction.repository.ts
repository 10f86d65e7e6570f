import { Injectable } from '@nestjs/common';
import { assertId, notFound } from '@trainyard/common';
import { PrismaService } from '../prisma/prisma.service';
import { SupersededError } from './experiment.repository';
import { NEWEST_FIRST_ORDER, NewestFirstKey, olderThan } from './paging';

export interface NewBatchPrediction {
  teamId: string;
  userId: string | null;
  checkpointId: string;
  modelName: string | null;
  modelVersion: number | null;
  datasetId: string;
  datasetVersionId: string;
  split: 'train' | 'validation' | 'test';
  format: 'JSONL' | 'CSV';
  topK: number;
  total: number;
}

/**
 * BatchPrediction rows: QUEUED -> RUNNING -> SUCCEEDED | FAILED. A worker claims an attempt; its
 * progress and final writes are fenced by it (one statement each), and SUCCEEDED is written only
 * after the file is in the store.
 */
@Injectable()
export class BatchPredictionRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(p: NewBatchPrediction) {
    return this.prisma.batchPrediction.create({ data: p });
  }

  /** The row if it belongs to the team, else NOT_FOUND. */
  async get(teamId: string, id: string) {
    assertId('batch prediction', id);
    const row = await this.prisma.batchPrediction.findFirst({ where: { id, teamId } });
    if (!row) throw notFound('batch prediction', id);
    return row;
  }

  /** A page, newest first; `userIds` limits to rows asked for by those users (course visibility). */
  page(teamId: string, filter: { userIds?: string[] }, after: NewestFirstKey | undefined, take: number) {
    return this.prisma.batchPrediction.findMany({ where: { AND: [this.filterWhere(teamId, filter), olderThan(after)] }, orderBy: NEWEST_FIRST_ORDER, take });
  }

  count(teamId: string, filter: { userIds?: string[] }) {
    return this.prisma.batchPrediction.count({ where: this.filterWhere(teamId, filter) });
  }

  private filterWhere(teamId: string, f: { userIds?: string[] }) {
    return { teamId, ...(f.userIds ? { userId: { in: f.userIds } } : {}) };
  }

  /** For the worker: the row with the checkpoint, its experiment's spec and the dataset version. */
  getById(id: string) {
    return this.prisma.batchPrediction.findUnique({
      where: { id },
      include: {
        checkpoint: {
          include: {
            experiment: { select: { id: true, teamId: true, spec: true } },
            exports: { where: { format: 'ONNX', status: 'SUCCEEDED', storageKey: { not: null } }, select: { storageKey: true } },
          },
        },
        datasetVersion: true,
      },
    });
  }

  /** Starts a run of the job: bumps the attempt (progress back to 0), or undefined when it already finished. */
  async claim(id: string): Promise<number | undefined> {
    const rows = await this.prisma.$queryRaw<Array<{ attempt: number }>>`
      UPDATE "BatchPrediction"
         SET attempt = attempt + 1, status = 'RUNNING', processed = 0, "startedAt" = COALESCE("startedAt", now())
       WHERE id = ${id}::uuid AND status IN ('QUEUED', 'RUNNING')
   RETURNING attempt`;
    return rows[0]?.attempt;
  }

  /** Samples done so far (ignored once another attempt took over). */
  async progress(id: string, attempt: number, processed: number): Promise<void> {
    const { count } = await this.prisma.batchPrediction.updateMany({ where: { id, attempt, status: 'RUNNING' }, data: { processed } });
    if (count === 0) throw new SupersededError(id, attempt);
  }

  async succeed(id: string, attempt: number, f: { storageKey: string; sizeBytes: number; processed: number }): Promise<void> {
    const { count } = await this.prisma.batchPrediction.updateMany({
      where: { id, attempt, status: 'RUNNING' },
      data: { status: 'SUCCEEDED', ...f, total: f.processed, failureReason: null, finishedAt: new Date() },
    });
    if (count === 0) throw new SupersededError(id, attempt);
  }

  async fail(id: string, attempt: number, reason: string): Promise<void> {
    const { count } = await this.prisma.batchPrediction.updateMany({
      where: { id, attempt, status: 'RUNNING' },
      data: { status: 'FAILED', failureReason: reason.slice(0, 1000), finishedAt: new Date() },
    });
    if (count === 0) throw new SupersededError(id, attempt);
  }

  /** Rows the in-process queue may have lost at a restart. */
  unfinished() {
    return this.prisma.batchPrediction.findMany({ where: { status: { in: ['QUEUED', 'RUNNING'] } }, select: { id: true } });
  }
}
