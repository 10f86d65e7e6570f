import { Injectable } from '@nestjs/common';
import { assertId, notFound } from '@trainyard/common';
import { PrismaService } from '../prisma/prisma.service';

export type ExportFormatName = 'ONNX';

export interface FinishedExport {
  storageKey: string;
  sizeBytes: number;
  sha256: string;
  opsetVersion: number;
  maxAbsDiff: number;
}

const withCheckpoint = { checkpoint: { include: { experiment: { select: { id: true, teamId: true } } } } } as const;

/**
 * CheckpointExport rows: one per checkpoint and format. QUEUED -> RUNNING -> SUCCEEDED | FAILED;
 * SUCCEEDED is written only after the bytes are in the store. Every transition is one conditional
 * statement, so a job delivered twice cannot move a finished export backwards.
 */
@Injectable()
export class CheckpointExportRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The export of `checkpointId` in `format`, created QUEUED when there is none. A FAILED one is
   * replaced by a fresh row (a new id, hence a new job). `created` says whether a job is needed.
   */
  async request(checkpointId: string, format: ExportFormatName): Promise<{ row: ExportRow; created: boolean }> {
    for (let tries = 0; ; tries++) {
      const existing = await this.prisma.checkpointExport.findUnique({ where: { checkpointId_format: { checkpointId, format } } });
      if (existing && existing.status !== 'FAILED') return { row: existing, created: false };
      try {
        const [, row] = await this.prisma.$transaction([
          this.prisma.checkpointExport.deleteMany({ where: { checkpointId, format, status: 'FAILED' } }),
          this.prisma.checkpointExport.create({ data: { checkpointId, format } }),
        ]);
        return { row, created: true };
      } catch (err) {
        // A concurrent request created it first (unique checkpointId + format): read theirs.
        if (tries < 2 && (err as { code?: string }).code === 'P2002') continue;
        throw err;
      }
    }
  }

  getById(id: string) {
    return this.prisma.checkpointExport.findUnique({ where: { id }, include: withCheckpoint });
  }

  /** The export `id` if it belongs to the team, else NOT_FOUND. */
  async getForTeam(teamId: string, id: string): Promise<ExportRow> {
    assertId('export', id);
    const row = await this.prisma.checkpointExport.findFirst({ where: { id, checkpoint: { experiment: { teamId } } } });
    if (!row) throw notFound('export', id);
    return row;
  }

  /** The checkpoint's export in `format` if the checkpoint belongs to the team (null when not exported). */
  findForTeam(teamId: string, checkpointId: string, format: ExportFormatName) {
    return this.prisma.checkpointExport.findFirst({ where: { checkpointId, format, checkpoint: { experiment: { teamId } } }, include: withCheckpoint });
  }

  /** The finished export of a checkpoint in `format`, or null: what serving loads when it exists. */
  findSucceeded(checkpointId: string, format: ExportFormatName) {
    return this.prisma.checkpointExport.findFirst({ where: { checkpointId, format, status: 'SUCCEEDED', storageKey: { not: null } } });
  }

  forCheckpoint(checkpointId: string, format?: ExportFormatName) {
    return this.prisma.checkpointExport.findMany({ where: { checkpointId, ...(format ? { format } : {}) }, orderBy: { createdAt: 'asc' } });
  }

  /** The exports of many checkpoints in one query (GraphQL's `checkpoints { exports }`), oldest first. */
  forCheckpoints(checkpointIds: string[], format?: ExportFormatName) {
    return this.prisma.checkpointExport.findMany({ where: { checkpointId: { in: checkpointIds }, ...(format ? { format } : {}) }, orderBy: { createdAt: 'asc' } });
  }

  /** Every export of a checkpoint that has a file (retention deletes those bytes with the checkpoint). */
  storedFor(checkpointIds: string[]) {
    return this.prisma.checkpointExport.findMany({ where: { checkpointId: { in: checkpointIds }, storageKey: { not: null } }, select: { id: true, checkpointId: true, storageKey: true, sizeBytes: true } });
  }

  /** QUEUED or RUNNING (a redelivery after a crash) -> RUNNING. False when already finished. */
  async start(id: string): Promise<boolean> {
    const r = await this.prisma.checkpointExport.updateMany({ where: { id, status: { in: ['QUEUED', 'RUNNING'] } }, data: { status: 'RUNNING' } });
    return r.count === 1;
  }

  async succeed(id: string, f: FinishedExport): Promise<boolean> {
    const r = await this.prisma.checkpointExport.updateMany({
      where: { id, status: 'RUNNING' },
      data: { status: 'SUCCEEDED', ...f, failureReason: null, finishedAt: new Date() },
    });
    return r.count === 1;
  }

  async fail(id: string, reason: string): Promise<boolean> {
    const r = await this.prisma.checkpointExport.updateMany({
      where: { id, status: { in: ['QUEUED', 'RUNNING'] } },
      data: { status: 'FAILED', failureReason: reason.slice(0, 1000), finishedAt: new Date() },
    });
    return r.count === 1;
  }

  /** Exports a worker has yet to finish (the in-process queue forgets its jobs on exit). */
  unfinished() {
    return this.prisma.checkpointExport.findMany({ where: { status: { in: ['QUEUED', 'RUNNING'] } }, select: { id: true } });
  }
}

export type ExportRow = NonNullable<Awaited<ReturnType<PrismaService['checkpointExport']['findUnique']>>>;
